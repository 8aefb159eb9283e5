import { useEffect, useState, type FormEvent } from 'react';
import { useMe } from '../../api/queries';
import { changePassword, login, updateMe, type User } from '../../api/accounts';
import type { OAuthFailure } from '../../api/oauth';
import {
  profilePatch,
  serverFieldError,
  validatePasswordChange,
  validateProfile,
  type PasswordForm,
  type ProfileForm,
} from '../../lib/accountForms';
import { hasKey, useLocale, useT } from '../../i18n';
import { formatCreditAmount, formatDate, formatDateTime } from '../../lib/format';
import { routeHash } from '../../lib/route';
import { hasErrors, type FieldErrors } from '../../lib/validation';
import { getSession } from '../../lib/session';
import { ApiError, errorMessage, fieldErrorMessage } from '../../transport';
import { useToasts } from '../Toasts';
import { useAuth } from './AuthContext';
import { DeleteAccountSection } from './DeleteAccountSection';
import { Field } from './Field';
import { OAuthMethodsSection } from './OAuth';
import '../payments/payments.css';

const formOf = (u: User): ProfileForm => ({ username: u.username, email: u.email ?? '', display_name: u.display_name ?? '' });

/** `oauthError`: linking a provider came back failed (`#/account?oauth_error=…`). */
export function AccountPage({ oauthError }: { oauthError?: OAuthFailure | null } = {}) {
  const t = useT();
  const locale = useLocale();
  const auth = useAuth();
  const toasts = useToasts();
  const user = auth?.user ?? null;
  const [profile, setProfile] = useState<ProfileForm>(() => (user ? formOf(user) : { username: '', email: '', display_name: '' }));
  const [profileErrors, setProfileErrors] = useState<FieldErrors>({});
  const [savingProfile, setSavingProfile] = useState(false);
  const [pw, setPw] = useState<PasswordForm>({ current_password: '', new_password: '', confirm_password: '' });
  const [pwErrors, setPwErrors] = useState<FieldErrors>({});
  const [savingPw, setSavingPw] = useState(false);

  // Fresh data on open (an admin may have changed the account meanwhile).
  const me = useMe();
  useEffect(() => {
    if (!me.data) return;
    auth?.setUser(me.data);
    setProfile(formOf(me.data));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [me.data]);
  useEffect(() => {
    if (me.error) toasts.show({ kind: 'error', message: errorMessage(me.error) });
  }, [me.error, toasts]);

  if (!auth || !user) return null;

  async function saveProfile(e: FormEvent) {
    e.preventDefault();
    if (!user || savingProfile) return;
    const found = validateProfile(profile);
    setProfileErrors(found);
    if (hasErrors(found)) return;
    const patch = profilePatch(user, profile);
    if (!patch) {
      toasts.show({ kind: 'info', message: t('account.nothingToSave') });
      return;
    }
    setSavingProfile(true);
    try {
      const updated = await updateMe(patch);
      auth?.setUser(updated);
      setProfile(formOf(updated));
      toasts.show({ kind: 'success', message: t('account.profileSaved') });
    } catch (err) {
      const f = serverFieldError(err, ['username', 'email', 'display_name']);
      if (f) setProfileErrors({ [f.field]: f.message });
      else toasts.show({ kind: 'error', message: errorMessage(err) });
    } finally {
      setSavingProfile(false);
    }
  }

  async function savePassword(e: FormEvent) {
    e.preventDefault();
    if (savingPw) return;
    const found = validatePasswordChange(pw);
    setPwErrors(found);
    if (hasErrors(found)) return;
    setSavingPw(true);
    try {
      await changePassword({ current_password: pw.current_password, new_password: pw.new_password });
      setPw({ current_password: '', new_password: '', confirm_password: '' });
      // The change revokes every refresh token of the account, this tab's too: sign in afresh
      // with the new password so this session outlives its current access token.
      try {
        const fresh = await login({ login: user?.username ?? '', password: pw.new_password });
        getSession().start(fresh.tokens ?? fresh);
      } catch {
        // Keeps working until the access token expires; then the sign-in page asks again.
      }
      toasts.show({ kind: 'success', message: t('account.passwordChanged') });
    } catch (err) {
      const f = serverFieldError(err, ['current_password', 'new_password']);
      if (f) setPwErrors({ [f.field]: f.message });
      else if (err instanceof ApiError && err.status === 401) setPwErrors({ current_password: fieldErrorMessage(err) });
      else toasts.show({ kind: 'error', message: errorMessage(err) });
    } finally {
      setSavingPw(false);
    }
  }

  return (
    <div className="page" data-testid="account-page">
      <header className="page-header">
        <div>
          <h1>{t('account.title')}</h1>
          <p className="page-subtitle">
            {t('account.subtitle', {
              kind: user.is_admin ? t('account.instanceAdmin') : t('account.member'),
              since: formatDateTime(user.created_at, locale),
            })}
          </p>
        </div>
      </header>
      <MembershipSection user={user} />
      <section className="panel account-section">
        <h2>{t('account.profile')}</h2>
        <form className="form" onSubmit={saveProfile} noValidate data-testid="profile-form">
          <Field
            idPrefix="ac"
            name="username"
            label={t('auth.username')}
            value={profile.username}
            error={profileErrors.username}
            onChange={(e) => setProfile((p) => ({ ...p, username: e.target.value }))}
          />
          <Field
            idPrefix="ac"
            name="email"
            label={t('auth.email')}
            hint={t('newProject.optional')}
            type="email"
            value={profile.email}
            error={profileErrors.email}
            onChange={(e) => setProfile((p) => ({ ...p, email: e.target.value }))}
          />
          <Field
            idPrefix="ac"
            name="display_name"
            label={t('account.displayName')}
            hint={t('newProject.optional')}
            value={profile.display_name}
            error={profileErrors.display_name}
            onChange={(e) => setProfile((p) => ({ ...p, display_name: e.target.value }))}
          />
          <div>
            <button type="submit" className="button primary" disabled={savingProfile} data-testid="save-profile">
              {savingProfile ? t('common.saving') : t('account.saveProfile')}
            </button>
          </div>
        </form>
      </section>
      <section className="panel account-section">
        <h2>{t('auth.password')}</h2>
        <form className="form" onSubmit={savePassword} noValidate data-testid="password-form">
          <Field
            idPrefix="pw"
            name="current_password"
            label={t('account.currentPassword')}
            type="password"
            autoComplete="current-password"
            value={pw.current_password}
            error={pwErrors.current_password}
            onChange={(e) => setPw((p) => ({ ...p, current_password: e.target.value }))}
          />
          <Field
            idPrefix="pw"
            name="new_password"
            label={t('account.newPassword')}
            type="password"
            autoComplete="new-password"
            value={pw.new_password}
            error={pwErrors.new_password}
            onChange={(e) => setPw((p) => ({ ...p, new_password: e.target.value }))}
          />
          <Field
            idPrefix="pw"
            name="confirm_password"
            label={t('account.confirmNewPassword')}
            type="password"
            autoComplete="new-password"
            value={pw.confirm_password}
            error={pwErrors.confirm_password}
            onChange={(e) => setPw((p) => ({ ...p, confirm_password: e.target.value }))}
          />
          <div>
            <button type="submit" className="button primary" disabled={savingPw} data-testid="change-password">
              {savingPw ? t('account.changing') : t('account.changePassword')}
            </button>
          </div>
        </form>
      </section>
      <OAuthMethodsSection redirectError={oauthError} />
      <DeleteAccountSection user={user} />
    </div>
  );
}

/** The membership (type and end date), the credit balance and one's referral code. */
export function MembershipSection({ user }: { user: User }) {
  const t = useT();
  const locale = useLocale();
  const typeKey = `payments.membership.type.${user.membership_type ?? ''}`;
  const typeName = user.membership_type ? (hasKey(typeKey) ? t(typeKey as never) : user.membership_type) : '';
  const member = user.is_member === true;
  return (
    <section className="panel account-section" data-testid="account-plan">
      <h2>{t('account.plan')}</h2>
      <dl className="pay-order-details">
        <dt>{t('account.membership')}</dt>
        <dd data-testid="account-membership" data-member={member}>
          {member
            ? user.membership_end_date
              ? t('account.memberUntil', { type: typeName || t('account.member'), date: formatDate(user.membership_end_date, locale) })
              : typeName || t('account.member')
            : t('account.notMember')}
        </dd>
        {user.credit_balance !== undefined && (
          <>
            <dt>{t('account.creditBalance')}</dt>
            <dd data-testid="account-credits">{formatCreditAmount(user.credit_balance, locale)}</dd>
          </>
        )}
        <dt>{t('account.referralCode')}</dt>
        <dd>
          {user.referral_code ? (
            <code data-testid="account-referral-code">{user.referral_code}</code>
          ) : (
            <span data-testid="account-referral-code-none">
              {t('account.noReferralCode')} ·{' '}
              <a href={routeHash({ name: 'credits' })} data-testid="account-get-referral">
                {t('account.getReferral')}
              </a>
            </span>
          )}
        </dd>
      </dl>
    </section>
  );
}
