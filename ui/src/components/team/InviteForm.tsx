import { useState, type FormEvent } from 'react';
import type { WorkspaceRole } from '../../api/workspaces';
import { useT } from '../../i18n';
import { Field } from '../account/Field';
import { grantableRoles, roleHelp, roleName } from './roles';
import type { TeamViewProps } from './TeamView';

export interface InviteForm {
  email: string;
  role: WorkspaceRole;
}

export function InviteFormView({ role, onInvite }: { role: WorkspaceRole; onInvite: TeamViewProps['onInvite'] }) {
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
