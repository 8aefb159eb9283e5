import { useEffect, useState, type FormEvent, type InputHTMLAttributes, type ReactNode } from 'react';
import { checkConnection, signIn, signOut, type ConnectionStatus } from '../../api/remote';
import { t as translate, useLocale, useT } from '../../i18n';
import { formatDateTime } from '../../lib/format';
import { hasErrors, type FieldErrors } from '../../lib/validation';
import { errorMessage } from '../../transport';
import { BrowserSignIn } from './BrowserSignIn';
import { badgeView, hostOf, initialForm, signInError, validateConnectionForm, type ConnectionForm } from './connection';
import { currentConnection, publishConnection, useConnectionStatus } from './store';
import './connection.css';

interface FieldProps extends InputHTMLAttributes<HTMLInputElement> {
  name: keyof ConnectionForm;
  label: string;
  error?: string | undefined;
}

function Field({ name, label, error, ...rest }: FieldProps) {
  const id = `conn-${name}`;
  return (
    <div className="form-field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={name}
        className={`input${error ? ' invalid' : ''}`}
        data-field={name}
        data-testid={`conn-${name}-input`}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        {...rest}
      />
      {error && (
        <p className="field-error" id={`${id}-error`} data-testid={`conn-field-error-${name}`}>
          {error}
        </p>
      )}
    </div>
  );
}

export type Busy = null | 'sign-in' | 'check' | 'sign-out';

export interface PanelProps {
  status: ConnectionStatus | null;
  loadError: string | null;
  form: ConnectionForm;
  errors: FieldErrors;
  formError: string | null;
  busy: Busy;
  onChange: (key: keyof ConnectionForm, value: string) => void;
  onSignIn: (e: FormEvent) => void;
  onCheck: () => void;
  onSignOut: () => void;
  /** Under the password form: the server's other ways to sign in (through the system browser). */
  alternatives?: ReactNode;
}

function when(iso: string | null, locale: string): string {
  if (!iso) return translate('connection.notChecked');
  return formatDateTime(iso, locale) || iso;
}

/** The connection panel for a given state (no effects: tests render it directly). */
export function ConnectionPanelView(p: PanelProps) {
  const t = useT();
  const locale = useLocale();
  const s = p.status;
  const signedIn = !!s && s.state !== 'signed_out';
  const showForm = !s || s.state === 'signed_out' || s.state === 'session_expired';
  return (
    <div className="page conn-page" data-testid="connection-page" data-state={s?.state ?? 'loading'}>
      <div className="page-header">
        <div>
          <h1>{t('connection.title')}</h1>
          <p className="page-subtitle">
            {t('connection.subtitle')}
          </p>
        </div>
      </div>
      <p className={`conn-state conn-state-${badgeView(s).tone}`} data-testid="connection-state">
        {badgeView(s).text}
      </p>

      {p.loadError && (
        <p className="form-error" role="alert" data-testid="connection-load-error">
          {p.loadError}
        </p>
      )}

      {signedIn && s && (
        <section className="panel conn-section" data-testid="connection-summary">
          <dl className="conn-facts">
            <dt>{t('connection.server')}</dt>
            <dd data-testid="connection-server">{s.server_url}</dd>
            <dt>{t('sidebar.signedInAs')}</dt>
            <dd data-testid="connection-username">{s.username}</dd>
            <dt>{t('connection.lastChecked')}</dt>
            <dd data-testid="connection-checked">{when(s.checked_at, locale)}</dd>
          </dl>
          <p className={`conn-message conn-message-${badgeView(s).tone}`} data-testid="connection-message">
            {s.message}
          </p>
          <div className="conn-actions">
            <button
              type="button"
              className="button secondary"
              data-testid="connection-check"
              disabled={p.busy !== null || s.state === 'session_expired'}
              onClick={p.onCheck}
            >
              {p.busy === 'check' ? t('connection.checking') : t('connection.checkNow')}
            </button>
            <button
              type="button"
              className="button danger"
              data-testid="connection-sign-out"
              disabled={p.busy !== null}
              onClick={p.onSignOut}
            >
              {p.busy === 'sign-out' ? t('sidebar.signingOut') : t('sidebar.signOut')}
            </button>
          </div>
        </section>
      )}

      {showForm && (
        <form className="panel form conn-section" onSubmit={p.onSignIn} noValidate data-testid="connection-form">
          <h2 className="conn-form-title">
            {s?.state === 'session_expired' ? t('connection.signInAgain', { host: hostOf(s.server_url) }) : t('connection.signInTitle')}
          </h2>
          {s?.state === 'signed_out' && s.message && (
            <p className="muted" data-testid="connection-message">
              {s.message}
            </p>
          )}
          <Field
            name="server_url"
            label={t('connection.address')}
            type="url"
            inputMode="url"
            placeholder="https://team.example.com"
            autoComplete="url"
            value={p.form.server_url}
            error={p.errors.server_url}
            onChange={(e) => p.onChange('server_url', e.target.value)}
          />
          <Field
            name="username"
            label={t('auth.usernameOrEmail')}
            autoComplete="username"
            value={p.form.username}
            error={p.errors.username}
            onChange={(e) => p.onChange('username', e.target.value)}
          />
          <Field
            name="password"
            label={t('auth.password')}
            type="password"
            autoComplete="current-password"
            value={p.form.password}
            error={p.errors.password}
            onChange={(e) => p.onChange('password', e.target.value)}
          />
          {p.formError && (
            <p className="form-error" role="alert" data-testid="connection-form-error">
              {p.formError}
            </p>
          )}
          <button type="submit" className="button primary" data-testid="connection-sign-in" disabled={p.busy !== null}>
            {p.busy === 'sign-in' ? t('auth.signingIn') : t('auth.signIn')}
          </button>
          {p.alternatives}
        </form>
      )}

      {s && (
        <p className="muted conn-storage" data-testid="connection-storage">
          {s.secret_storage === 'keyring'
            ? t('connection.keptIn', { where: s.secret_storage_location })
            : (s.secret_storage_notice ?? t('connection.keptInFile', { where: s.secret_storage_location }))}
        </p>
      )}
    </div>
  );
}

function focusField(name: string | undefined) {
  if (name) document.querySelector<HTMLElement>(`[data-field="${name}"]`)?.focus();
}

/** `#/connection`: sign in to a team server, check the connection, sign out. */
export function ConnectionPage() {
  const { status, read } = useConnectionStatus();
  const [actionError, setLoadError] = useState<string | null>(null);
  const loadError = actionError ?? (read.error ? errorMessage(read.error) : null);
  const [form, setForm] = useState<ConnectionForm>(() => initialForm(currentConnection()));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState<Busy>(null);

  const readStatus = read.data;
  useEffect(() => {
    if (!readStatus) return;
    setLoadError(null);
    setForm((f) => (f.server_url || f.username ? f : initialForm(readStatus)));
  }, [readStatus]);

  function onChange(key: keyof ConnectionForm, value: string) {
    setForm((f) => ({ ...f, [key]: value }));
    if (errors[key]) setErrors((e) => ({ ...e, [key]: undefined }));
  }

  async function onSignIn(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const found = validateConnectionForm(form);
    setErrors(found);
    setFormError(null);
    if (hasErrors(found)) {
      focusField((['server_url', 'username', 'password'] as const).find((f) => found[f]));
      return;
    }
    setBusy('sign-in');
    try {
      const s = await signIn({ server_url: form.server_url.trim(), username: form.username.trim(), password: form.password });
      publishConnection(s);
      setForm((f) => ({ ...f, password: '' }));
    } catch (err) {
      const { field, message } = signInError(err);
      if (field) {
        setErrors({ [field]: message });
        focusField(field);
      } else {
        setFormError(message);
      }
    } finally {
      setBusy(null);
    }
  }

  async function run(kind: 'check' | 'sign-out') {
    if (busy) return;
    setBusy(kind);
    setFormError(null);
    try {
      const s = await (kind === 'check' ? checkConnection() : signOut());
      publishConnection(s);
      if (kind === 'sign-out') setForm(initialForm(s, { server_url: form.server_url, username: form.username }));
    } catch (err) {
      setLoadError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  }

  return (
    <ConnectionPanelView
      status={status}
      loadError={loadError}
      form={form}
      errors={errors}
      formError={formError}
      busy={busy}
      onChange={onChange}
      onSignIn={(e) => void onSignIn(e)}
      onCheck={() => void run('check')}
      onSignOut={() => void run('sign-out')}
      alternatives={<BrowserSignIn serverUrl={form.server_url} disabled={busy !== null} />}
    />
  );
}
