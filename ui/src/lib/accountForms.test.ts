import { describe, expect, it } from 'vitest';
import { ApiError } from '../transport/errors';
import {
  apiKeyBody,
  modeFromProbe,
  NO_ROUTER_LIMITS,
  profilePatch,
  revealReducer,
  serverFieldError,
  signInErrorText,
  validateApiKeyForm,
  validateEmail,
  validatePassword,
  validatePasswordChange,
  validateSignIn,
  validateSignUp,
  validateUsername,
  type RevealState,
} from './accountForms';

describe('field checks (same rules as the server)', () => {
  it('username: 3–32 letters, digits, _ . -', () => {
    expect(validateUsername('')).toBe('Username is required');
    expect(validateUsername('ab')).toMatch(/3 to 32/);
    expect(validateUsername('a'.repeat(33))).toMatch(/3 to 32/);
    expect(validateUsername('ann smith')).toMatch(/letters, digits/);
    expect(validateUsername(' ann.s-1_ ')).toBeNull();
    expect(validateUsername('zoë')).toBeNull();
  });
  it('email: optional unless required, shaped like name@example.com', () => {
    expect(validateEmail('')).toBeNull();
    expect(validateEmail('', true)).toBe('Email is required');
    for (const bad of ['ann', '@x.co', 'a@b', 'a@.b.co', 'a@b.co.', 'a b@c.co', 'a@b@c.co']) {
      expect(validateEmail(bad), bad).toMatch(/like name@example.com/);
    }
    expect(validateEmail('Ann@Example.com')).toBeNull();
  });
  it('password: 8–128, not one repeated character', () => {
    expect(validatePassword('')).toBe('Password is required');
    expect(validatePassword('short')).toMatch(/8 to 128/);
    expect(validatePassword('aaaaaaaaaa')).toMatch(/repeated/);
    expect(validatePassword('correct horse')).toBeNull();
  });
});

describe('forms', () => {
  it('sign in needs both fields', () => {
    expect(validateSignIn({ login: ' ', password: '' })).toEqual({ login: expect.any(String), password: expect.any(String) });
    expect(validateSignIn({ login: 'ann', password: 'x' })).toEqual({});
  });
  it('sign up checks every field and the confirmation', () => {
    expect(validateSignUp({ username: 'ann', email: '', password: 'correct horse', confirm_password: 'correct horse' })).toEqual({});
    expect(validateSignUp({ username: 'a', email: 'x', password: 'short', confirm_password: '' })).toEqual({
      username: expect.stringMatching(/3 to 32/),
      email: expect.stringMatching(/name@example/),
      password: expect.stringMatching(/8 to 128/),
      confirm_password: 'Repeat the password',
    });
    expect(validateSignUp({ username: 'ann', email: '', password: 'correct horse', confirm_password: 'correct horsf' }).confirm_password).toBe(
      'The passwords do not match',
    );
  });
  it('password change wants a different, valid, confirmed new password', () => {
    expect(validatePasswordChange({ current_password: '', new_password: 'x', confirm_password: 'y' })).toEqual({
      current_password: expect.any(String),
      new_password: expect.stringMatching(/8 to 128/),
      confirm_password: 'The passwords do not match',
    });
    expect(validatePasswordChange({ current_password: 'old pass 1', new_password: 'old pass 1', confirm_password: 'old pass 1' }).new_password).toMatch(
      /differ/,
    );
    expect(validatePasswordChange({ current_password: 'old pass 1', new_password: 'new pass 2', confirm_password: 'new pass 2' })).toEqual({});
  });
  it('profile patch holds only the changed fields', () => {
    const before = { username: 'ann', email: null, display_name: 'Ann' };
    expect(profilePatch(before, { username: 'ann', email: '', display_name: 'Ann ' })).toBeNull();
    expect(profilePatch(before, { username: 'anna', email: 'a@b.co', display_name: 'Ann' })).toEqual({ username: 'anna', email: 'a@b.co' });
  });
  it('api key form: name and a scope; body has canonical scope order and an RFC 3339 expiry', () => {
    expect(validateApiKeyForm({ name: '', scopes: [], expires_in_days: 0, ...NO_ROUTER_LIMITS })).toEqual({
      name: 'Name is required',
      scopes: 'Choose at least one scope',
    });
    const now = new Date('2025-01-01T10:00:00.123Z');
    expect(apiKeyBody({ name: ' ci ', scopes: ['write', 'read'], expires_in_days: 30, ...NO_ROUTER_LIMITS }, now)).toEqual({
      name: 'ci',
      scopes: ['read', 'write'],
      expires_at: '2025-01-31T10:00:00Z',
    });
    expect(apiKeyBody({ name: 'x', scopes: ['read'], expires_in_days: 0, ...NO_ROUTER_LIMITS }, now)).toEqual({ name: 'x', scopes: ['read'] });
  });
});

describe('a new key\'s model-router limits', () => {
  const form = { name: 'ci', scopes: ['read' as const], expires_in_days: 0, ...NO_ROUTER_LIMITS };
  const now = new Date('2025-01-01T10:00:00Z');

  it('sends only the limits that were set', () => {
    expect(apiKeyBody(form, now)).toEqual({ name: 'ci', scopes: ['read'] });
    expect(apiKeyBody({ ...form, allowed_models: ['team-chat', 'draw'], rate_limit_per_hour: '1,000', credit_budget: ' 0 ' }, now)).toEqual({
      name: 'ci',
      scopes: ['read'],
      allowed_models: ['team-chat', 'draw'],
      rate_limit_per_hour: 1000,
      credit_budget: 0,
    });
  });

  it('checks calls an hour (1 to 1,000,000) and the budget (whole credits, 0 or more)', () => {
    expect(validateApiKeyForm({ ...form, rate_limit_per_hour: '1000000', credit_budget: '250' })).toEqual({});
    for (const bad of ['0', '1000001', '2.5', '-1', 'ten']) {
      expect(validateApiKeyForm({ ...form, rate_limit_per_hour: bad }), bad).toEqual({ rate_limit_per_hour: 'Enter a whole number of calls from 1 to 1,000,000' });
    }
    expect(validateApiKeyForm({ ...form, credit_budget: '-5' })).toEqual({ credit_budget: 'Enter a whole number of credits (0 or more)' });
  });

  it('puts the server\'s 422 next to the limit it names', () => {
    const e = new ApiError(422, { detail: 'the model router serves no model named "gone" (GET /v1/models)', error_code: 'VALIDATION_ERROR', retryable: false, field: 'allowed_models' });
    expect(serverFieldError(e, ['name', 'allowed_models', 'rate_limit_per_hour', 'credit_budget'])).toEqual({ field: 'allowed_models', message: e.detail });
  });
});

describe('server errors on the form', () => {
  const known = ['username', 'email', 'password', 'confirm_password'];
  it('puts a 422 next to the field it names', () => {
    const e = new ApiError(422, { detail: 'username must be 3 to 32 characters (got 2)', error_code: 'VALIDATION_ERROR', retryable: false, field: 'username' });
    expect(serverFieldError(e, known)).toEqual({ field: 'username', message: e.detail });
    expect(serverFieldError(new ApiError(422, { detail: 'x', error_code: 'VALIDATION_ERROR', retryable: false, field: 'other' }), known)).toBeNull();
  });
  it('puts a 409 duplicate next to the field its text names', () => {
    const e = new ApiError(409, { detail: 'that email is already registered', error_code: 'CONFLICT', retryable: false });
    expect(serverFieldError(e, known)).toEqual({ field: 'email', message: 'that email is already registered' });
    expect(serverFieldError(new Error('x'), known)).toBeNull();
  });
  it('429 says how many seconds to wait', () => {
    const e = new ApiError(429, { detail: 'slow down', error_code: 'RATE_LIMITED', retryable: true, retry_after: 41 });
    expect(signInErrorText(e)).toBe('Too many attempts: try again in 41 s');
    expect(signInErrorText(new ApiError(429, { detail: 'x', error_code: 'RATE_LIMITED', retryable: true }))).toMatch(/in a moment/);
    expect(signInErrorText(new ApiError(401, { detail: 'wrong username or password', error_code: 'AUTH_INVALID', retryable: false }))).toBe(
      'wrong username or password',
    );
  });
});

describe('copy-once reveal of a new key', () => {
  it('shows the secret until closed, then forgets it', () => {
    let s: RevealState = { kind: 'none' };
    s = revealReducer(s, { type: 'copied' });
    expect(s).toEqual({ kind: 'none' });
    s = revealReducer(s, { type: 'created', keyId: 'k1', secret: 'sl_secret' });
    expect(s).toEqual({ kind: 'shown', keyId: 'k1', secret: 'sl_secret', copied: false, copyFailed: false });
    s = revealReducer(s, { type: 'copy-failed' });
    expect(s).toMatchObject({ copied: false, copyFailed: true });
    s = revealReducer(s, { type: 'copied' });
    expect(s).toMatchObject({ copied: true, copyFailed: false });
    s = revealReducer(s, { type: 'close' });
    expect(s).toEqual({ kind: 'closed', keyId: 'k1' });
    expect(JSON.stringify(s)).not.toContain('sl_secret');
    expect(revealReducer(s, { type: 'copied' })).toBe(s);
  });
});

describe('modeFromProbe', () => {
  it('200 = local, 401 AUTH_REQUIRED = accounts, other = unknown', () => {
    expect(modeFromProbe(200)).toBe('local');
    expect(modeFromProbe(401, 'AUTH_REQUIRED')).toBe('accounts');
    expect(modeFromProbe(401, 'AUTH_INVALID')).toBe('unknown');
    expect(modeFromProbe(0)).toBe('unknown');
    expect(modeFromProbe(503, 'SERVICE_UNAVAILABLE')).toBe('unknown');
  });
});
