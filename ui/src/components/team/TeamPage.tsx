import { useReducer, useState } from 'react';
import { Trans, i18n, useT } from '../../i18n';
import { revealReducer } from '../../lib/accountForms';
import { SecretRevealDialog } from '../SecretRevealDialog';
import { useToasts } from '../Toasts';
import { NewWorkspaceDialog } from './NewWorkspaceDialog';
import { PersonalTeamView } from './PersonalTeamView';
import { ConfirmDialog, type Confirm } from './TeamConfirmDialog';
import { TeamView } from './TeamView';
import { useTeam } from './useTeam';
import './team.css';

/** `#/team`: the current workspace's members and invitations (data and actions in `useTeam`). */
export function TeamPage() {
  const t = useT();
  const toasts = useToasts();
  const team = useTeam();
  const [confirm, setConfirm] = useState<Confirm | null>(null);
  const [creating, setCreating] = useState(false);
  const [reveal, dispatch] = useReducer(revealReducer, { kind: 'none' });
  const { ws, workspace } = team;

  if (!ws || !workspace || !team.signedIn) return null;

  if (workspace.personal) {
    return (
      <>
        <PersonalTeamView workspace={workspace} onCreate={() => setCreating(true)} />
        {creating && (
          <NewWorkspaceDialog
            onClose={() => setCreating(false)}
            onCreated={(w) => {
              setCreating(false);
              ws.upsert(w);
              ws.switchTo(w.id);
              toasts.show({ kind: 'success', message: t('projects.created', { name: w.name }) });
            }}
          />
        )}
      </>
    );
  }

  return (
    <>
      <TeamView
        workspace={workspace}
        meId={team.meId}
        members={team.members}
        invitations={team.invitations}
        busyMember={team.busyMember}
        onRetry={team.retry}
        onRename={team.rename}
        onRoleChange={team.changeRole}
        onRemove={(member) => setConfirm({ kind: 'remove', member })}
        onLeave={() => setConfirm({ kind: 'leave' })}
        onRevoke={(invitation) => setConfirm({ kind: 'revoke', invitation })}
        onInvite={async (form) => {
          const r = await team.invite(form);
          if ('link' in r) {
            dispatch({ type: 'created', keyId: r.id, secret: r.link });
            return null;
          }
          return r;
        }}
      />

      {reveal.kind === 'shown' && (
        <SecretRevealDialog
          reveal={reveal}
          dispatch={dispatch}
          title={t('team.linkTitle')}
          warning={<Trans i18n={i18n} t={t} i18nKey="team.linkWarning" components={{ strong: <strong /> }} />}
          label={t('team.linkTitle')}
          noun={t('team.linkNoun')}
          closeLabel={t('team.sent')}
          testIds={{ dialog: 'invite-link-dialog', warning: 'invite-link-warning', secret: 'invite-link', copy: 'copy-invite-link', close: 'close-invite-link' }}
        />
      )}

      {confirm && (
        <ConfirmDialog confirm={confirm} workspace={workspace} onClose={() => setConfirm(null)} onConfirm={() => team.confirmed(confirm)} />
      )}
    </>
  );
}
