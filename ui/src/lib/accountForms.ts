/**
 * Pure logic of the account pages: form checks mirroring the server's rules (src/accounts:
 * username 3–32 of letters/digits/_ . -, email like name@example.com, password 8–128 and not one
 * repeated character), mapping server field errors onto the form, the 429 wait text, the API
 * key's expiry choices and model-router limits, the copy-once state of a new key's secret, and the
 * accounts-mode probe.
 */
import type { KeyScope, NewApiKey, Registration } from '../api/accounts';
import { activeLocale, hasKey, t } from '../i18n';
import { ApiError, apiErrorMessage, errorMessage } from '../transport/errors';
import { parseBudget } from './credits';
import { formatNumber } from './format';
import type { FieldErrors } from './validation';

const chars = (s: string) => Array.from(s).length;

export function validateUsername(name: string): string | null {
  const n = chars(name.trim());
  if (n === 0) return t('accountForms.usernameRequired');
  if (n < 3 || n > 32) return t('accountForms.usernameLength');
  if (!/^[\p{L}\p{N}_.-]+$/u.test(name.trim())) return t('accountForms.usernameChars');
  return null;
}

/** Empty is fine when the email is optional. */
export function validateEmail(email: string, required = false): string | null {
  const e = email.trim();
  if (!e) return required ? t('accountForms.emailRequired') : null;
  const at = e.indexOf('@');
  const domain = e.slice(at + 1);
  const ok =
    e.length <= 254 &&
    !/\s/.test(e) &&
    at > 0 &&
    !domain.includes('@') &&
    domain.includes('.') &&
    !domain.startsWith('.') &&
    !domain.endsWith('.');
  return ok ? null : t('accountForms.emailInvalid');
}

export function validatePassword(pw: string): string | null {
  const n = chars(pw);
  if (n === 0) return t('accountForms.passwordRequired');
  if (n < 8 || n > 128) return t('accountForms.passwordLength');
  if (new Set(Array.from(pw)).size === 1) return t('accountForms.passwordRepeated');
  return null;
}

export interface SignInForm {
  login: string;
  password: string;
}

export function validateSignIn(f: SignInForm): FieldErrors {
  const e: FieldErrors = {};
  if (!f.login.trim()) e.login = t('accountForms.enterLogin');
  if (!f.password) e.password = t('accountForms.enterPassword');
  return e;
}

export interface SignUpForm {
  username: string;
  email: string;
  password: string;
  confirm_password: string;
}

export function validateSignUp(f: SignUpForm): FieldErrors {
  const e: FieldErrors = {};
  const u = validateUsername(f.username);
  if (u) e.username = u;
  const m = validateEmail(f.email);
  if (m) e.email = m;
  const p = validatePassword(f.password);
  if (p) e.password = p;
  if (!f.confirm_password) e.confirm_password = t('accountForms.repeatPassword');
  else if (f.confirm_password !== f.password) e.confirm_password = t('accountForms.passwordsDiffer');
  return e;
}

/** The register body: trimmed names, the email and the referral code only when given. */
export function signUpBody(f: SignUpForm, referralCode = ''): Registration {
  const email = f.email.trim();
  const ref = referralCode.trim();
  return {
    username: f.username.trim(),
    password: f.password,
    confirm_password: f.confirm_password,
    ...(email ? { email } : {}),
    ...(ref ? { referral_code: ref } : {}),
  };
}

export interface PasswordForm {
  current_password: string;
  new_password: string;
  confirm_password: string;
}

export function validatePasswordChange(f: PasswordForm): FieldErrors {
  const e: FieldErrors = {};
  if (!f.current_password) e.current_password = t('accountForms.enterCurrentPassword');
  const p = validatePassword(f.new_password);
  if (p) e.new_password = p;
  else if (f.new_password === f.current_password) e.new_password = t('accountForms.newPasswordSame');
  if (f.confirm_password !== f.new_password) e.confirm_password = t('accountForms.passwordsDiffer');
  return e;
}

export interface ProfileForm {
  username: string;
  email: string;
  display_name: string;
}

export function validateProfile(f: ProfileForm): FieldErrors {
  const e: FieldErrors = {};
  const u = validateUsername(f.username);
  if (u) e.username = u;
  const m = validateEmail(f.email);
  if (m) e.email = m;
  if (chars(f.display_name.trim()) > 64) e.display_name = t('accountForms.displayNameTooLong');
  return e;
}

/** Only the fields that changed (trimmed); null when nothing did. */
export function profilePatch(
  before: { username: string; email: string | null; display_name: string | null },
  f: ProfileForm,
): Partial<ProfileForm> | null {
  const patch: Partial<ProfileForm> = {};
  if (f.username.trim() !== before.username) patch.username = f.username.trim();
  if (f.email.trim() !== (before.email ?? '')) patch.email = f.email.trim();
  if (f.display_name.trim() !== (before.display_name ?? '')) patch.display_name = f.display_name.trim();
  return Object.keys(patch).length ? patch : null;
}

export interface ApiKeyForm {
  name: string;
  scopes: KeyScope[];
  /** Days until it expires; 0 = never. */
  expires_in_days: number;
  /** The model router's public model names it may call; none = every model. */
  allowed_models: string[];
  /** Its router calls an hour, as typed; empty = the server's limit. */
  rate_limit_per_hour: string;
  /** The most credits its router calls may spend, as typed; empty = no budget. */
  credit_budget: string;
}

/** A new key's router limits before the user sets any. */
export const NO_ROUTER_LIMITS: Pick<ApiKeyForm, 'allowed_models' | 'rate_limit_per_hour' | 'credit_budget'> = {
  allowed_models: [],
  rate_limit_per_hour: '',
  credit_budget: '',
};

/** The most router calls an hour a key may be given (the server's bound). */
export const MAX_CALLS_PER_HOUR = 1_000_000;

/** Calls an hour from its text field ("1,000" too): a value, null when empty, or not ok. */
function parsePerHour(raw: string): { ok: true; value: number | null } | { ok: false } {
  const digits = raw.trim().replace(/[,，_\s]/g, '');
  if (digits === '') return { ok: true, value: null };
  const n = Number(digits);
  return /^\d+$/.test(digits) && n >= 1 && n <= MAX_CALLS_PER_HOUR ? { ok: true, value: n } : { ok: false };
}

/** Expiry choices of a new API key; `label` reads the active language. */
export const KEY_EXPIRY_CHOICES: readonly { days: number; readonly label: string }[] = [0, 7, 30, 90, 365].map((days) => ({
  days,
  get label() {
    if (days === 0) return t('accountForms.expiryNever');
    if (days === 365) return t('accountForms.expiryYear');
    return t('accountForms.expiryDays', { count: days });
  },
}));

export function validateApiKeyForm(f: ApiKeyForm): FieldErrors {
  const e: FieldErrors = {};
  const n = chars(f.name.trim());
  if (n === 0) e.name = t('validation.nameRequired');
  else if (n > 64) e.name = t('validation.nameTooLong', { max: 64 });
  if (f.scopes.length === 0) e.scopes = t('accountForms.chooseScope');
  if (!parsePerHour(f.rate_limit_per_hour).ok) {
    e.rate_limit_per_hour = t('accountForms.perHourInvalid', { max: formatNumber(MAX_CALLS_PER_HOUR) });
  }
  if (f.credit_budget.trim()) {
    const budget = parseBudget(f.credit_budget);
    if (!budget.ok) e.credit_budget = budget.error;
  }
  return e;
}

/**
 * The request body for a new key: trimmed name, scopes in canonical order, RFC 3339 expiry, and
 * only the router limits that were set.
 */
export function apiKeyBody(f: ApiKeyForm, now: Date): NewApiKey {
  const order: KeyScope[] = ['read', 'write', 'billing', 'admin'];
  const body: NewApiKey = {
    name: f.name.trim(),
    scopes: order.filter((s) => f.scopes.includes(s)),
  };
  if (f.expires_in_days > 0) {
    body.expires_at = new Date(now.getTime() + f.expires_in_days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  if (f.allowed_models.length > 0) body.allowed_models = [...f.allowed_models];
  const perHour = parsePerHour(f.rate_limit_per_hour);
  if (perHour.ok && perHour.value !== null) body.rate_limit_per_hour = perHour.value;
  const budget = f.credit_budget.trim() ? parseBudget(f.credit_budget) : null;
  if (budget?.ok) body.credit_budget = budget.value;
  return body;
}

/**
 * The server's field error as a form field (`field` of a 422/409), or null. A 409 names no field:
 * its text says which ("that username is already registered").
 */
export function serverFieldError(e: unknown, known: readonly string[]): { field: string; message: string } | null {
  if (!(e instanceof ApiError)) return null;
  const last = e.field?.split(/[./]/).filter(Boolean).pop();
  if (last && known.includes(last)) return { field: last, message: apiErrorMessage({ detail: e.detail, error_code: e.error_code }) };
  if (e.status === 409) {
    const m = /that (\w+) is already/.exec(e.detail);
    if (m && known.includes(m[1]!)) {
      const field = m[1]!;
      const label = hasKey(`errors.field.${field}`) ? t(`errors.field.${field}` as never) : field;
      return { field, message: activeLocale() === 'en' ? e.detail : t('accountForms.taken', { field: label }) };
    }
  }
  return null;
}

/** The text for a refused sign-in: 429 says how long to wait. */
export function signInErrorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 429) {
      const s = e.retry_after !== undefined && e.retry_after > 0 ? Math.ceil(e.retry_after) : null;
      return s !== null ? t('accountForms.tooManyIn', { seconds: s }) : t('accountForms.tooManyMoment');
    }
    if (e.status === 401) return apiErrorMessage({ detail: e.detail || t('accountForms.wrongLogin'), error_code: e.error_code });
  }
  return errorMessage(e);
}

/**
 * The secret of a newly created key is shown once: `shown` holds it until the dialog closes,
 * `copied` records the Copy button's success, and `closed` forgets the secret for good.
 */
export type RevealState =
  | { kind: 'none' }
  | { kind: 'shown'; keyId: string; secret: string; copied: boolean; copyFailed: boolean }
  | { kind: 'closed'; keyId: string };

export type RevealEvent =
  | { type: 'created'; keyId: string; secret: string }
  | { type: 'copied' }
  | { type: 'copy-failed' }
  | { type: 'close' };

export function revealReducer(state: RevealState, ev: RevealEvent): RevealState {
  switch (ev.type) {
    case 'created':
      return { kind: 'shown', keyId: ev.keyId, secret: ev.secret, copied: false, copyFailed: false };
    case 'copied':
      return state.kind === 'shown' ? { ...state, copied: true, copyFailed: false } : state;
    case 'copy-failed':
      return state.kind === 'shown' ? { ...state, copied: false, copyFailed: true } : state;
    case 'close':
      return state.kind === 'shown' ? { kind: 'closed', keyId: state.keyId } : state;
  }
}

/**
 * What the unauthenticated `GET /api/v1/auth/me` on start says: 200 = local mode (no sign-in),
 * 401 AUTH_REQUIRED = accounts mode, anything else (no answer, 5xx) = unknown (behave as before).
 */
export type ServerMode = 'local' | 'accounts' | 'unknown';

export function modeFromProbe(status: number, errorCode?: string): ServerMode {
  if (status >= 200 && status < 300) return 'local';
  if (status === 401 && (errorCode === undefined || errorCode === 'AUTH_REQUIRED')) return 'accounts';
  return 'unknown';
}
