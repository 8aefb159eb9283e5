import { useCallback, useEffect, useReducer, useState, type FormEvent } from 'react';
import {
  createInvitation,
  listInvitations,
  listMembers,
  removeMember,
  renameWorkspace,
  revokeInvitation,
  setMemberRole,
  invitationLink,
  type Invitation,
  type Member,
  type Workspace,
  type WorkspaceRole,
} from '../../api/workspaces';
import { revealReducer, serverFieldError } from '../../lib/accountForms';
import { Trans, i18n, useLocale, useT } from '../../i18n';
import { formatDateTime } from '../../lib/format';
import { navigate } from '../../lib/navigate';
import { errorMessage } from '../../transport';
import { useAuth } from '../account/AuthContext';
import { Field } from '../account/Field';
import { Modal } from '../Modal';
import { SecretRevealDialog } from '../SecretRevealDialog';
import { useToasts } from '../Toasts';
import { NewWorkspaceDialog, workspaceNameError } from './NewWorkspaceDialog';
import { canEditMember, canLeave, canManage, grantableRoles, roleHelp, roleName } from './roles';
import { useWorkspace } from './WorkspaceContext';
import './team.css';

export type Load<T> = { kind: 'loading' } | { kind: 'ready'; data: T } | { kind: 'error'; message: string };

export interface InviteForm {
  email: string;
  role: WorkspaceRole;
}

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

/** The workspace name; owner and admin rename it in place. */
function WorkspaceName({ workspace, onRename }: { workspace: Workspace; onRename: (name: string) => Promise<string | null> }) {
  const t = useT();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(workspace.name);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const allowed = canManage(workspace.role);

  if (!editing) {
    return (
      <div className="ws-title">
        <h1 data-testid="team-workspace-name">{workspace.name}</h1>
        {allowed && (
          <button
            type="button"
            className="button secondary button-sm"
            data-testid="rename-workspace"
            onClick={() => {
              setName(workspace.name);
              setError(undefined);
              setEditing(true);
            }}
          >
            {t('projects.rename')}
          </button>
        )}
      </div>
    );
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const err = workspaceNameError(name);
    setError(err ?? undefined);
    if (err) return;
    setBusy(true);
    const serverError = await onRename(name.trim());
    setBusy(false);
    if (serverError) setError(serverError);
    else setEditing(false);
  }

  return (
    <form className="ws-rename form" onSubmit={submit} noValidate data-testid="rename-form">
      <Field
        idPrefix="ws"
        name="rename"
        label={t('team.workspaceName')}
        autoComplete="off"
        autoFocus
        value={name}
        error={error}
        onChange={(e) => {
          setName(e.target.value);
          if (error) setError(undefined);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape') setEditing(false);
        }}
      />
      <div className="ws-rename-actions">
        <button type="submit" className="button primary button-sm" disabled={busy} data-testid="save-rename">
          {busy ? t('common.saving') : t('common.save')}
        </button>
        <button type="button" className="button secondary button-sm" disabled={busy} onClick={() => setEditing(false)}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

function InviteFormView({ role, onInvite }: { role: WorkspaceRole; onInvite: TeamViewProps['onInvite'] }) {
  const t = useT();
  const [form, setForm] = useState<InviteForm>({ email: '', role: 'reviewer' });
  const [errors, setErrors] = useState<{ email?: string | undefined; role?: string | undefined }>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const roles = grantableRoles(role);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const email = form.email.trim();
    setFormError(null);
    if (email && !/^[^\s@]+@[^\s@]+$/.test(email)) {
      setErrors({ email: t('team.emailInvalid') });
      return;
    }
    setErrors({});
    setBusy(true);
    const err = await onInvite({ ...form, email });
    setBusy(false);
    if (!err) setForm((f) => ({ ...f, email: '' }));
    else if (err.field === 'email' || err.field === 'role') setErrors({ [err.field]: err.message });
    else setFormError(err.message);
  }

  return (
    <form className="form invite-form" onSubmit={submit} noValidate data-testid="invite-form">
      <div className="invite-row">
        <Field
          idPrefix="inv"
          name="invite_email"
          label={t('auth.email')}
          hint={t('team.emailHint')}
          type="email"
          autoComplete="off"
          placeholder="name@example.com"
          value={form.email}
          error={errors.email}
          onChange={(e) => {
            setForm((f) => ({ ...f, email: e.target.value }));
            if (errors.email) setErrors((x) => ({ ...x, email: undefined }));
          }}
        />
        <div className="form-field">
          <label htmlFor="inv-role">{t('users.colRole')}</label>
          <select
            id="inv-role"
            className="input select"
            data-testid="invite-role"
            data-field="role"
            value={form.role}
            onChange={(e) => setForm((f) => ({ ...f, role: e.target.value as WorkspaceRole }))}
          >
            {roles.map((r) => (
              <option key={r} value={r}>
                {roleName(r)}
              </option>
            ))}
          </select>
          {errors.role ? (
            <p className="field-error" data-testid="field-error-role">
              {errors.role}
            </p>
          ) : (
            <p className="field-hint muted" data-testid="invite-role-help">
              {roleHelp(form.role)}
            </p>
          )}
        </div>
        <button type="submit" className="button primary invite-submit" disabled={busy} data-testid="create-invitation">
          {busy ? t('team.creatingLink') : t('team.createLink')}
        </button>
      </div>
      {formError && (
        <p className="form-error" role="alert" data-testid="invite-error">
          {formError}
        </p>
      )}
    </form>
  );
}

/** The team page of a shared workspace, from its data (the container below loads it). */
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

/** The personal workspace: it can't be shared; offer a team workspace instead. */
export function PersonalTeamView({ workspace, onCreate }: { workspace: Workspace; onCreate: () => void }) {
  const t = useT();
  return (
    <div className="page team-page" data-testid="team-page" data-personal="true">
      <header className="page-header">
        <div>
          <h1 data-testid="team-workspace-name">{workspace.name}</h1>
          <p className="page-subtitle">{t('team.personal')}</p>
        </div>
      </header>
      <section className="panel team-section" data-testid="personal-workspace-notice">
        <h2 className="section-title">{t('team.onlyYou')}</h2>
        <p>
          {t('team.personalBody')}
        </p>
        <button type="button" className="button primary" onClick={onCreate} data-testid="create-team-workspace">
          {t('team.createTeam')}
        </button>
      </section>
    </div>
  );
}

type Confirm = { kind: 'remove'; member: Member } | { kind: 'leave' } | { kind: 'revoke'; invitation: Invitation };

export function TeamPage() {
  const t = useT();
  const ws = useWorkspace();
  const auth = useAuth();
  const toasts = useToasts();
  const [members, setMembers] = useState<Load<Member[]>>({ kind: 'loading' });
  const [invitations, setInvitations] = useState<Load<Invitation[]>>({ kind: 'loading' });
  const [reloadKey, setReloadKey] = useState(0);
  const [busyMember, setBusyMember] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<Confirm | null>(null);
  const [creating, setCreating] = useState(false);
  const [reveal, dispatch] = useReducer(revealReducer, { kind: 'none' });
  const reload = useCallback(() => setReloadKey((k) => k + 1), []);

  const workspace = ws?.current;
  const id = workspace?.id;
  const personal = workspace?.personal ?? true;
  const manage = workspace ? canManage(workspace.role) : false;

  useEffect(() => {
    if (!id || personal) return;
    const ctrl = new AbortController();
    const fail = (set: (l: Load<never>) => void) => (e: unknown) => {
      if (!ctrl.signal.aborted) set({ kind: 'error', message: errorMessage(e) });
    };
    listMembers(id, ctrl.signal)
      .then((data) => setMembers({ kind: 'ready', data }))
      .catch(fail(setMembers));
    if (manage) {
      listInvitations(id, ctrl.signal)
        .then((data) => setInvitations({ kind: 'ready', data }))
        .catch(fail(setInvitations));
    }
    return () => ctrl.abort();
  }, [id, personal, manage, reloadKey]);

  if (!ws || !workspace || !auth) return null;

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

  const wsId = workspace.id;
  const meId = auth.user.id;

  return (
    <>
      <TeamView
        workspace={workspace}
        meId={meId}
        members={members}
        invitations={manage ? invitations : null}
        busyMember={busyMember}
        onRetry={reload}
        onRename={async (name) => {
          try {
            ws.upsert(await renameWorkspace(wsId, name));
            toasts.show({ kind: 'success', message: t('projects.renamed', { name }) });
            return null;
          } catch (e) {
            return serverFieldError(e, ['name'])?.message ?? errorMessage(e);
          }
        }}
        onRoleChange={(m, role) => {
          setBusyMember(m.user_id);
          setMemberRole(wsId, m.user_id, role)
            .then((updated) => {
              setMembers((l) =>
                l.kind === 'ready' ? { kind: 'ready', data: l.data.map((x) => (x.user_id === m.user_id ? updated : x)) } : l,
              );
              toasts.show({ kind: 'success', message: t('team.nowRole', { name: m.username, role: roleName(updated.role) }) });
            })
            .catch((e: unknown) => toasts.show({ kind: 'error', message: errorMessage(e) }))
            .finally(() => setBusyMember(null));
        }}
        onRemove={(member) => setConfirm({ kind: 'remove', member })}
        onLeave={() => setConfirm({ kind: 'leave' })}
        onRevoke={(invitation) => setConfirm({ kind: 'revoke', invitation })}
        onInvite={async (form) => {
          try {
            const inv = await createInvitation(wsId, form.email ? form : { role: form.role });
            dispatch({ type: 'created', keyId: inv.id, secret: invitationLink(inv.token, window.location.origin, window.location.pathname) });
            reload();
            return null;
          } catch (e) {
            const f = serverFieldError(e, ['email', 'role']);
            return f ?? { message: errorMessage(e) };
          }
        }}
      />

      {reveal.kind === 'shown' && (
        <SecretRevealDialog
          reveal={reveal}
          dispatch={dispatch}
          title={t('team.linkTitle')}
          warning={
            <Trans i18n={i18n} t={t} i18nKey="team.linkWarning" components={{ strong: <strong /> }} />
          }
          label={t('team.linkTitle')}
          noun={t('team.linkNoun')}
          closeLabel={t('team.sent')}
          testIds={{ dialog: 'invite-link-dialog', warning: 'invite-link-warning', secret: 'invite-link', copy: 'copy-invite-link', close: 'close-invite-link' }}
        />
      )}

      {confirm && (
        <ConfirmDialog
          confirm={confirm}
          workspace={workspace}
          onClose={() => setConfirm(null)}
          onConfirm={async () => {
            try {
              if (confirm.kind === 'remove') {
                await removeMember(wsId, confirm.member.user_id);
                toasts.show({ kind: 'success', message: t('team.removed', { name: confirm.member.username }) });
                reload();
                void ws.reload().catch(() => undefined);
              } else if (confirm.kind === 'revoke') {
                await revokeInvitation(wsId, confirm.invitation.id);
                toasts.show({ kind: 'success', message: t('team.invitationRevoked') });
                reload();
              } else {
                await removeMember(wsId, meId);
                toasts.show({ kind: 'success', message: t('team.left', { name: workspace.name }) });
                ws.switchTo(meId);
                void ws.reload().catch(() => undefined);
                navigate({ name: 'projects' });
              }
              return null;
            } catch (e) {
              return errorMessage(e);
            }
          }}
        />
      )}
    </>
  );
}

function ConfirmDialog({
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
