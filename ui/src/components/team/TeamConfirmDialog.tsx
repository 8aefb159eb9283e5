import { useState } from 'react';
import type { Invitation, Member, Workspace } from '../../api/workspaces';
import { Trans, i18n, useT } from '../../i18n';
import { Modal } from '../Modal';

/** What the confirmation is for. */
export type Confirm = { kind: 'remove'; member: Member } | { kind: 'leave' } | { kind: 'revoke'; invitation: Invitation };

/** Asks before removing a member, revoking an invitation or leaving the workspace. */
export function ConfirmDialog({
  confirm,
  workspace,
  onClose,
  onConfirm,
}: {
  confirm: Confirm;
  workspace: Workspace;
  onClose: () => void;
  onConfirm: () => Promise<string | null>;
}) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const strong = { name: <strong className="confirm-name" /> };
  const text =
    confirm.kind === 'remove'
      ? {
          title: t('team.removeTitle'),
          body: (
            <Trans
              i18n={i18n}
              t={t}
              i18nKey="team.removeBody"
              values={{ name: confirm.member.username, workspace: workspace.name }}
              components={strong}
            />
          ),
          action: t('common.remove'),
          busy: t('team.removing'),
        }
      : confirm.kind === 'revoke'
        ? {
            title: t('team.revokeTitle'),
            body: confirm.invitation.email
              ? t('team.revokeBodyFor', { email: confirm.invitation.email })
              : t('team.revokeBody'),
            action: t('apiKeys.revoke'),
            busy: t('apiKeys.revoking'),
          }
        : {
            title: t('team.leaveTitle'),
            body: (
              <Trans i18n={i18n} t={t} i18nKey="team.leaveBody" values={{ workspace: workspace.name }} components={strong} />
            ),
            action: t('team.leaveAction'),
            busy: t('team.leaving'),
          };
  return (
    <Modal title={text.title} onClose={onClose} busy={busy} size="sm" testId="team-confirm-dialog" initialFocus='[data-testid="cancel-confirm"]'>
      <div className="modal-body">
        <p className="confirm-text">{text.body}</p>
        {error && (
          <p className="form-error" role="alert" data-testid="confirm-error">
            {error}
          </p>
        )}
      </div>
      <footer className="modal-footer">
        <button type="button" className="button secondary" onClick={onClose} disabled={busy} data-testid="cancel-confirm">
          {t('common.cancel')}
        </button>
        <button
          type="button"
          className="button danger"
          disabled={busy}
          data-testid="confirm-action"
          onClick={() => {
            setBusy(true);
            setError(null);
            void onConfirm().then((err) => {
              setBusy(false);
              if (err) setError(err);
              else onClose();
            });
          }}
        >
          {busy ? text.busy : text.action}
        </button>
      </footer>
    </Modal>
  );
}
