import { useState, type FormEvent } from 'react';
import { login, register, type SessionResponse } from '../../api/accounts';
import type { OAuthFailure, OAuthProvider } from '../../api/oauth';
import {
  serverFieldError,
  signInErrorText,
  signUpBody,
  validateSignIn,
  validateSignUp,
  type SignInForm,
  type SignUpForm,
} from '../../lib/accountForms';
import { hasErrors, type FieldErrors } from '../../lib/validation';
import { ApiError, errorMessage, fieldErrorMessage } from '../../transport';
import { useT } from '../../i18n';
import { LogoMark } from '../Icons';
import { LanguageSwitcher } from '../LanguageSwitcher';
import { Field } from './Field';
import { OAuthErrorNotice, OAuthSignInOptions } from './OAuth';

interface Props {
  /** A register/login answer: the app keeps its tokens and shows the signed-in UI. */
  onSignedIn: (s: SessionResponse) => void;
  /** Why the previous session ended (e.g. "the account is suspended"). */
  notice?: string | null;
  /** A provider sign-in that came back failed (`#/sign-in?oauth_error=…`): said above the form. */
  oauthError?: OAuthFailure | null;
  /** The OAuth providers to offer; read from the server when absent. */
  oauthProviders?: readonly OAuthProvider[];
  /** Where a provider sign-in returns (`/#/…`); the page's own route when absent. */
  returnTo?: string;
}

interface SignUpProps extends Props {
  /** A referral link's code (`#/sign-up?ref=CODE`): prefills the optional Referral code field. */
  referralCode?: string;
}

function focusField(name: string | undefined) {
  if (name) document.querySelector<HTMLElement>(`[data-field="${name}"]`)?.focus();
}

function AuthCard({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div className="auth-screen">
      <div className="auth-card panel">
        <div className="wordmark auth-wordmark">
          <LogoMark />
          <span>Storyloom</span>
        </div>
        <h1 className="auth-title">{title}</h1>
        {children}
        <LanguageSwitcher />
      </div>
    </div>
  );
}

export function SignInPage({ onSignedIn, notice, oauthError, oauthProviders, returnTo }: Props) {
  const t = useT();
  const [form, setForm] = useState<SignInForm>({ login: '', password: '' });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function update(key: keyof SignInForm, value: string) {
    setForm((f) => ({ ...f, [key]: value }));
    if (errors[key]) setErrors((e) => ({ ...e, [key]: undefined }));
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const found = validateSignIn(form);
    setErrors(found);
    setFormError(null);
    if (hasErrors(found)) {
      focusField(['login', 'password'].find((f) => found[f]));
      return;
    }
    setBusy(true);
    try {
      onSignedIn(await login(form));
    } catch (err) {
      setBusy(false);
      const onField = serverFieldError(err, ['password']);
      if (onField) {
        setErrors({ [onField.field]: onField.message });
      } else if (err instanceof ApiError && err.field && ['username', 'email'].includes(err.field)) {
        setErrors({ login: fieldErrorMessage(err) });
      } else if (err instanceof ApiError && err.status === 401) {
        // Wrong credentials: say it next to the password, where the fix usually is.
        setErrors({ password: signInErrorText(err) });
        focusField('password');
      } else {
        setFormError(signInErrorText(err));
      }
    }
  }

  return (
    <AuthCard title={t('auth.signIn')}>
      {notice && (
        <p className="form-error" role="alert" data-testid="signed-out-notice">
          {t('auth.signedOut', { notice })}
        </p>
      )}
      <OAuthErrorNotice error={oauthError} />
      <form className="form" onSubmit={submit} noValidate data-testid="sign-in-form">
        <Field
          idPrefix="si"
          name="login"
          label={t('auth.usernameOrEmail')}
          autoComplete="username"
          value={form.login}
          error={errors.login}
          onChange={(e) => update('login', e.target.value)}
        />
        <Field
          idPrefix="si"
          name="password"
          label={t('auth.password')}
          type="password"
          autoComplete="current-password"
          value={form.password}
          error={errors.password}
          onChange={(e) => update('password', e.target.value)}
        />
        {formError && (
          <p className="form-error" role="alert" data-testid="form-error">
            {formError}
          </p>
        )}
        <button type="submit" className="button primary auth-submit" disabled={busy} data-testid="sign-in-submit">
          {busy ? t('auth.signingIn') : t('auth.signIn')}
        </button>
      </form>
      <OAuthSignInOptions providers={oauthProviders} returnTo={returnTo} />
      <p className="auth-switch">
        {t('auth.noAccount')}{' '}
        <a href="#/sign-up" data-testid="go-sign-up">
          {t('auth.createOne')}
        </a>
      </p>
    </AuthCard>
  );
}

const SIGN_UP_FIELDS = ['username', 'email', 'password', 'confirm_password'] as const;
/** The fields a server refusal may name (an unknown referral code: 422 `referral_code`). */
export const SIGN_UP_SERVER_FIELDS = [...SIGN_UP_FIELDS, 'referral_code'] as const;

export function SignUpPage({ onSignedIn, referralCode = '', oauthError, oauthProviders, returnTo }: SignUpProps) {
  const t = useT();
  const [form, setForm] = useState<SignUpForm>({ username: '', email: '', password: '', confirm_password: '' });
  const [referral, setReferral] = useState(referralCode);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function update(key: keyof SignUpForm, value: string) {
    setForm((f) => ({ ...f, [key]: value }));
    if (errors[key]) setErrors((e) => ({ ...e, [key]: undefined }));
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const found = validateSignUp(form);
    setErrors(found);
    setFormError(null);
    if (hasErrors(found)) {
      focusField(SIGN_UP_FIELDS.find((f) => found[f]));
      return;
    }
    setBusy(true);
    try {
      onSignedIn(await register(signUpBody(form, referral)));
    } catch (err) {
      setBusy(false);
      const onField = serverFieldError(err, SIGN_UP_SERVER_FIELDS);
      if (onField) {
        setErrors({ [onField.field]: onField.message });
        focusField(onField.field);
      } else {
        setFormError(err instanceof ApiError && err.status === 429 ? signInErrorText(err) : errorMessage(err));
      }
    }
  }

  return (
    <AuthCard title={t('auth.createAccountTitle')}>
      <OAuthErrorNotice error={oauthError} />
      <form className="form" onSubmit={submit} noValidate data-testid="sign-up-form">
        <Field
          idPrefix="su"
          name="username"
          label={t('auth.username')}
          autoComplete="username"
          value={form.username}
          error={errors.username}
          onChange={(e) => update('username', e.target.value)}
        />
        <Field
          idPrefix="su"
          name="email"
          label={t('auth.email')}
          hint={t('newProject.optional')}
          type="email"
          autoComplete="email"
          value={form.email}
          error={errors.email}
          onChange={(e) => update('email', e.target.value)}
        />
        <Field
          idPrefix="su"
          name="password"
          label={t('auth.password')}
          type="password"
          autoComplete="new-password"
          value={form.password}
          error={errors.password}
          onChange={(e) => update('password', e.target.value)}
        />
        <Field
          idPrefix="su"
          name="confirm_password"
          label={t('auth.confirmPassword')}
          type="password"
          autoComplete="new-password"
          value={form.confirm_password}
          error={errors.confirm_password}
          onChange={(e) => update('confirm_password', e.target.value)}
        />
        <Field
          idPrefix="su"
          name="referral_code"
          label={t('auth.referralCode')}
          hint={t('newProject.optional')}
          autoComplete="off"
          value={referral}
          error={errors.referral_code}
          onChange={(e) => {
            setReferral(e.target.value);
            if (errors.referral_code) setErrors((x) => ({ ...x, referral_code: undefined }));
          }}
        />
        {formError && (
          <p className="form-error" role="alert" data-testid="form-error">
            {formError}
          </p>
        )}
        <button type="submit" className="button primary auth-submit" disabled={busy} data-testid="sign-up-submit">
          {busy ? t('auth.creatingAccount') : t('auth.createAccount')}
        </button>
      </form>
      <OAuthSignInOptions providers={oauthProviders} returnTo={returnTo} />
      <p className="auth-switch">
        {t('auth.haveAccount')}{' '}
        <a href="#/sign-in" data-testid="go-sign-in">
          {t('auth.signIn')}
        </a>
      </p>
    </AuthCard>
  );
}
