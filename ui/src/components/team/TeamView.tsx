import type { Invitation, Member, Workspace, WorkspaceRole } from '../../api/workspaces';
import type { Load } from '../../api/load';
import { Trans, i18n, useLocale, useT } from '../../i18n';
import { formatDateTime } from '../../lib/format';
import { canEditMember, canLeave, canManage, grantableRoles, roleHelp, roleName } from './roles';
import { InviteFormView, type InviteForm } from './InviteForm';
import { WorkspaceName } from './WorkspaceName';
import './team.css';

export type { InviteForm };

export interface TeamViewProps {
  workspace: Workspace;
  meId: string;
  members: Load<Member[]>;
  /** Null when the caller may not see them (not owner/admin). */
  invitations: Load<Invitation[]> | null;
  /** The member whose role change is in flight. */
  busyMember?: string | null;
  onRename: (name: string) => Promise<string | null>;
  onRoleChange: (m: Member, role: WorkspaceRole) => void;
  onRemove: (m: Member) => void;
  onLeave: () => void;
  onInvite: (form: InviteForm) => Promise<{ field?: string; message: string } | null>;
  onRevoke: (inv: Invitation) => void;
  onRetry: () => void;
}

function who(m: Member): string {
  return m.display_name ? `${m.display_name} (${m.username})` : m.username;
}

function LoadError({ title, message, onRetry }: { title: string; message: string; onRetry: () => void }) {
  const t = useT();
  return (
    <div className="load-error" role="alert" data-testid="load-error">
      <div>
        <h2>{title}</h2>
        <p>{message}</p>
      </div>
      <button type="button" className="button secondary" onClick={onRetry}>
        {t('common.tryAgain')}
      </button>
    </div>
  );
}

export function TeamView(p: TeamViewProps) {
  const t = useT();
  const locale = useLocale();
  const { workspace, meId } = p;
  const manage = canManage(workspace.role);
  const roles = grantableRoles(workspace.role);
  return (
    <div className="page team-page" data-testid="team-page" data-role={workspace.role}>
      <header className="page-header">
        <div>
          <WorkspaceName key={workspace.id} workspace={workspace} onRename={p.onRename} />
          <p className="page-subtitle">
            <Trans
              i18n={i18n}
              t={t}
              i18nKey="team.yourRole"
              values={{ role: roleName(workspace.role), help: roleHelp(workspace.role) }}
              components={{ role: <strong data-testid="team-my-role" /> }}
            />
          </p>
        </div>
        {canLeave(workspace.role) && (
          <div className="header-actions">
            <button type="button" className="button secondary" onClick={p.onLeave} data-testid="leave-workspace">
              {t('team.leave')}
            </button>
          </div>
        )}
      </header>

      <section className="panel team-section">
        <h2 className="section-title">{t('team.members')}</h2>
        {p.members.kind === 'loading' && <p className="muted account-empty">{t('common.loadingEllipsis')}</p>}
        {p.members.kind === 'error' && <LoadError title={t('team.membersFailed')} message={p.members.message} onRetry={p.onRetry} />}
        {p.members.kind === 'ready' && (
          <table className="data-table" data-testid="member-list">
            <thead>
              <tr>
                <th>{t('team.colMember')}</th>
                <th>{t('auth.email')}</th>
                <th>{t('users.colRole')}</th>
                <th>{t('team.colJoined')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {p.members.data.map((m) => {
                const editable = canEditMember(workspace.role, meId, m);
                const options = editable ? roles : [m.role];
                return (
                  <tr key={m.user_id} data-testid="member-row" data-username={m.username} data-role={m.role}>
                    <td className="cell-strong">
                      {who(m)}
                      {m.user_id === meId && <span className="muted"> {t('users.you')}</span>}
                    </td>
                    <td>{m.email ?? '—'}</td>
                    <td>
                      <select
                        className="input select input-sm"
                        aria-label={t('team.roleOf', { name: m.username })}
                        data-testid="member-role-select"
                        value={m.role}
                        disabled={!editable || p.busyMember === m.user_id}
                        onChange={(e) => p.onRoleChange(m, e.target.value as WorkspaceRole)}
                      >
                        {(options.includes(m.role) ? options : [m.role, ...options]).map((r) => (
                          <option key={r} value={r}>
                            {roleName(r)}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td title={formatDateTime(m.joined_at, locale)}>{formatDateTime(m.joined_at, locale)}</td>
                    <td className="cell-actions-inline">
                      {editable && (
                        <button
                          type="button"
                          className="button secondary button-sm"
                          onClick={() => p.onRemove(m)}
                          data-testid="remove-member"
                        >
                          {t('common.remove')}
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>

      {manage && (
        <section className="panel team-section" data-testid="invite-section">
          <h2 className="section-title">{t('team.invite')}</h2>
          <p className="muted">
            {t('team.inviteIntro')}
          </p>
          <InviteFormView role={workspace.role} onInvite={p.onInvite} />
        </section>
      )}

      {p.invitations && (
        <section className="panel team-section">
          <h2 className="section-title">{t('team.pending')}</h2>
          {p.invitations.kind === 'loading' && <p className="muted account-empty">{t('common.loadingEllipsis')}</p>}
          {p.invitations.kind === 'error' && (
            <LoadError title={t('team.invitationsFailed')} message={p.invitations.message} onRetry={p.onRetry} />
          )}
          {p.invitations.kind === 'ready' && pending(p.invitations.data).length === 0 && (
            <p className="muted account-empty" data-testid="no-invitations">
              {t('team.noPending')}
            </p>
          )}
          {p.invitations.kind === 'ready' && pending(p.invitations.data).length > 0 && (
            <table className="data-table" data-testid="invitation-list">
              <thead>
                <tr>
                  <th>{t('team.colFor')}</th>
                  <th>{t('users.colRole')}</th>
                  <th>{t('team.colInvitedBy')}</th>
                  <th>{t('apiKeys.expires')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {pending(p.invitations.data).map((inv) => (
                  <tr key={inv.id} data-testid="invitation-row" data-invitation-id={inv.id} data-role={inv.role}>
                    <td>{inv.email ?? <span className="muted">{t('team.anyone')}</span>}</td>
                    <td>{roleName(inv.role)}</td>
                    <td>{inv.invited_by}</td>
                    <td>{formatDateTime(inv.expires_at, locale)}</td>
                    <td className="cell-actions-inline">
                      <button
                        type="button"
                        className="button secondary button-sm"
                        onClick={() => p.onRevoke(inv)}
                        data-testid="revoke-invitation"
                      >
                        {t('apiKeys.revoke')}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </div>
  );
}

function pending(list: Invitation[]): Invitation[] {
  return list.filter((i) => i.status === 'pending');
}
