import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import { loadOf, type Load } from '../../api/load';
import { keys, useInvitations, useMembers } from '../../api/queries';
import {
  createInvitation,
  invitationLink,
  removeMember,
  renameWorkspace,
  revokeInvitation,
  setMemberRole,
  type Invitation,
  type Member,
  type WorkspaceRole,
} from '../../api/workspaces';
import { serverFieldError } from '../../lib/accountForms';
import { useT } from '../../i18n';
import { navigate } from '../../lib/navigate';
import { errorMessage } from '../../transport';
import { useAuth } from '../account/AuthContext';
import { useToasts } from '../Toasts';
import type { InviteForm } from './InviteForm';
import { canManage, roleName } from './roles';
import type { Confirm } from './TeamConfirmDialog';
import { useWorkspace } from './WorkspaceContext';

/**
 * The team page's data and actions: the workspace's members and (for owners and admins) its
 * invitations, read through the query cache; every change invalidates what it touched.
 */
export function useTeam() {
  const t = useT();
  const ws = useWorkspace();
  const auth = useAuth();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [busyMember, setBusyMember] = useState<string | null>(null);

  const workspace = ws?.current;
  const wsId = workspace?.id ?? '';
  const personal = workspace?.personal ?? true;
  const manage = workspace ? canManage(workspace.role) : false;
  const meId = auth?.user.id ?? '';

  const membersQuery = useMembers(wsId, !!workspace && !personal);
  const invitationsQuery = useInvitations(wsId, !!workspace && !personal && manage);
  const members: Load<Member[]> = loadOf(membersQuery);
  const invitations: Load<Invitation[]> | null = manage ? loadOf(invitationsQuery) : null;

  const invalidateMembers = useCallback(() => void queryClient.invalidateQueries({ queryKey: keys.workspaces.members(wsId) }), [queryClient, wsId]);
  const invalidateInvitations = useCallback(
    () => void queryClient.invalidateQueries({ queryKey: keys.workspaces.invitations(wsId) }),
    [queryClient, wsId],
  );
  const retry = useCallback(() => {
    invalidateMembers();
    if (manage) invalidateInvitations();
  }, [invalidateMembers, invalidateInvitations, manage]);

  /** Null when renamed, else the message to show by the field. */
  async function rename(name: string): Promise<string | null> {
    try {
      ws?.upsert(await renameWorkspace(wsId, name));
      toasts.show({ kind: 'success', message: t('projects.renamed', { name }) });
      return null;
    } catch (e) {
      return serverFieldError(e, ['name'])?.message ?? errorMessage(e);
    }
  }

  function changeRole(m: Member, role: WorkspaceRole) {
    setBusyMember(m.user_id);
    setMemberRole(wsId, m.user_id, role)
      .then((updated) => {
        queryClient.setQueryData<Member[]>(keys.workspaces.members(wsId), (l) =>
          l ? l.map((x) => (x.user_id === m.user_id ? updated : x)) : l,
        );
        toasts.show({ kind: 'success', message: t('team.nowRole', { name: m.username, role: roleName(updated.role) }) });
      })
      .catch((e: unknown) => toasts.show({ kind: 'error', message: errorMessage(e) }))
      .finally(() => setBusyMember(null));
  }

  /** The invitation link to show once, or the error (with the field it is about). */
  async function invite(form: InviteForm): Promise<{ link: string; id: string } | { field?: string; message: string }> {
    try {
      const inv = await createInvitation(wsId, form.email ? form : { role: form.role });
      invalidateInvitations();
      return { id: inv.id, link: invitationLink(inv.token, window.location.origin, window.location.pathname) };
    } catch (e) {
      return serverFieldError(e, ['email', 'role']) ?? { message: errorMessage(e) };
    }
  }

  /** Carries out a confirmed removal, revocation or leave; null when done, else the error. */
  async function confirmed(confirm: Confirm): Promise<string | null> {
    try {
      if (confirm.kind === 'remove') {
        await removeMember(wsId, confirm.member.user_id);
        toasts.show({ kind: 'success', message: t('team.removed', { name: confirm.member.username }) });
        invalidateMembers();
        void ws?.reload().catch(() => undefined);
      } else if (confirm.kind === 'revoke') {
        await revokeInvitation(wsId, confirm.invitation.id);
        toasts.show({ kind: 'success', message: t('team.invitationRevoked') });
        invalidateInvitations();
      } else {
        await removeMember(wsId, meId);
        toasts.show({ kind: 'success', message: t('team.left', { name: workspace?.name ?? '' }) });
        ws?.switchTo(meId);
        void ws?.reload().catch(() => undefined);
        navigate({ name: 'projects' });
      }
      return null;
    } catch (e) {
      return errorMessage(e);
    }
  }

  return { ws, workspace, meId, signedIn: !!auth, members, invitations, busyMember, retry, rename, changeRole, invite, confirmed };
}
