/**
 * Pure logic of the operations screens: what a coupon or an activity gives, in words; the
 * referral link as an absolute URL; the admin's coupon and activity forms (checks mirroring the
 * server's, the request bodies, the server's field errors placed on the form's fields); the
 * statistics' percent.
 */
import type { Activity, NewActivity } from '../api/operations';
import { CREDIT_ACTIVITY_TYPES, type ActivityType } from '../api/operations';
import type { Coupon, CouponKind, NewCoupon } from '../api/types';
import { t } from '../i18n';
import { ApiError, fieldErrorMessage } from '../transport/errors';
import { serverFieldError } from './accountForms';
import { formatCount, formatNumber } from './format';
import { formatMoney, yuanToCents } from './payments';
import type { FieldErrors } from './validation';

/** "10% off", "¥5.00 off", "+50 credits": what a coupon gives (`value` is percent, cents or credits). */
export function describeCoupon(c: Pick<Coupon, 'type' | 'value'>): string {
  switch (c.type) {
    case 'discount':
      return t('operations.couponValue.discount', { percent: formatNumber(c.value) });
    case 'deduction':
      return t('operations.couponValue.deduction', { amount: formatMoney(c.value) });
    case 'credit_bonus':
      return t('operations.couponValue.credit_bonus', { credits: formatCount('credit', c.value) });
  }
}

/** "On orders from ¥50.00", or null for a coupon without a minimum. */
export function couponMinimum(c: Pick<Coupon, 'min_amount_cents'>): string | null {
  return c.min_amount_cents > 0 ? t('operations.couponMinimum', { amount: formatMoney(c.min_amount_cents) }) : null;
}

/** Whether a coupon applies to an order of `cents` (its minimum met). */
export function couponAppliesTo(c: Pick<Coupon, 'min_amount_cents'>, cents: number): boolean {
  return cents >= c.min_amount_cents;
}

/**
 * What a recharge of `cents` costs and buys with coupon `c`, exactly as the server prices it
 * (src/payments/coupons.rs): a discount takes the whole-cent floor of the percent off, a
 * deduction its cents (only below the price), a credit bonus adds credits. Null when the coupon
 * does not apply (below its minimum, or a deduction worth the whole order).
 */
export function couponPrice(
  c: Pick<Coupon, 'type' | 'value' | 'min_amount_cents'>,
  cents: number,
  credits: number,
): { cents: number; credits: number } | null {
  if (cents < c.min_amount_cents) return null;
  switch (c.type) {
    case 'discount':
      return { cents: cents - Math.floor((cents * c.value) / 100), credits };
    case 'deduction':
      return c.value < cents ? { cents: cents - c.value, credits } : null;
    case 'credit_bonus':
      return { cents, credits: credits + c.value };
  }
}

/** What joining an activity gives: "+100 credits now", "20% off your next membership", … */
export function describeActivity(a: Pick<Activity, 'type' | 'config'>): string {
  const credits = a.config.credits ?? 0;
  const percent = formatNumber(a.config.percent ?? 0);
  switch (a.type) {
    case 'credit_gift':
      return t('operations.activityBenefit.credit_gift', { credits: formatCount('credit', credits) });
    case 'membership_discount':
      return t('operations.activityBenefit.membership_discount', { percent });
    case 'first_purchase':
      return t('operations.activityBenefit.first_purchase', { percent });
    case 'referral_bonus':
      return t('operations.activityBenefit.referral_bonus', { credits: formatCount('credit', credits) });
  }
}

/** The referral link as one to share: a relative one (`/#/sign-up?ref=CODE`) gets this server's origin. */
export function absoluteReferralUrl(url: string, origin: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  const base = origin.replace(/\/+$/, '');
  return url.startsWith('/') ? `${base}${url}` : `${base}/${url}`;
}

/** The sign-up link for a code already made (the same link `generate` answers with). */
export function referralUrlFor(code: string, origin: string): string {
  return absoluteReferralUrl(`/#/sign-up?ref=${encodeURIComponent(code)}`, origin);
}

/** 0.1234 → "12.3%". */
export function formatRate(rate: number): string {
  return formatNumber(rate, undefined, { style: 'percent', maximumFractionDigits: 1 });
}

/** A `datetime-local` value (local time) as RFC 3339 UTC without milliseconds; null when unreadable. */
export function localToRfc3339(local: string): string | null {
  if (!local.trim()) return null;
  const ms = Date.parse(local);
  if (Number.isNaN(ms)) return null;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/* ---------- the admin's coupon form ---------- */

export interface CouponForm {
  code: string;
  name: string;
  type: CouponKind;
  /** Percent (discount), yuan (deduction) or credits (credit_bonus), as typed. */
  value: string;
  /** Yuan, optional. */
  min_amount: string;
  max_usage: string;
  /** `datetime-local` values. */
  valid_from: string;
  valid_until: string;
}

export const COUPON_FIELDS = ['code', 'name', 'type', 'value', 'min_amount', 'max_usage', 'valid_from', 'valid_until'] as const;

export const EMPTY_COUPON_FORM: CouponForm = {
  code: '',
  name: '',
  type: 'discount',
  value: '',
  min_amount: '',
  max_usage: '100',
  valid_from: '',
  valid_until: '',
};

const wholeNumber = (raw: string): number | null => {
  const digits = raw.trim().replace(/[,，_\s]/g, '');
  return /^\d+$/.test(digits) ? Number(digits) : null;
};

/** The form's `value` as the body's: percent, yuan (two decimals at most) or credits; null when refused. */
function couponValue(f: CouponForm): number | null {
  if (f.type === 'deduction') {
    const parsed = yuanToCents(f.value);
    return parsed.ok && parsed.cents > 0 ? parsed.cents / 100 : null;
  }
  const n = wholeNumber(f.value);
  if (n === null) return null;
  if (f.type === 'discount') return n >= 1 && n <= 99 ? n : null;
  return n >= 1 ? n : null;
}

function checkWindow(e: FieldErrors, fromKey: string, untilKey: string, from: string, until: string) {
  const a = localToRfc3339(from);
  const b = localToRfc3339(until);
  if (!a) e[fromKey] = t('operations.form.timeRequired');
  if (!b) e[untilKey] = t('operations.form.timeRequired');
  else if (a && Date.parse(b) <= Date.parse(a)) e[untilKey] = t('operations.form.endBeforeStart');
}

export function validateCouponForm(f: CouponForm): FieldErrors {
  const e: FieldErrors = {};
  if (!f.code.trim()) e.code = t('operations.form.codeRequired');
  else if (!/^[A-Za-z0-9_-]{1,64}$/.test(f.code.trim())) e.code = t('operations.form.codeChars');
  if (!f.name.trim()) e.name = t('validation.nameRequired');
  if (couponValue(f) === null) e.value = t(`operations.form.valueInvalid.${f.type}`);
  if (f.min_amount.trim()) {
    const min = yuanToCents(f.min_amount);
    if (!min.ok) e.min_amount = t('operations.form.minAmountInvalid');
  }
  const max = wholeNumber(f.max_usage);
  if (max === null || max < 1) e.max_usage = t('operations.form.maxUsageInvalid');
  checkWindow(e, 'valid_from', 'valid_until', f.valid_from, f.valid_until);
  return e;
}

/** The body of `POST /operation/coupons` from a form `validateCouponForm` passed. */
export function couponBody(f: CouponForm): NewCoupon {
  const body: NewCoupon = {
    code: f.code.trim(),
    name: f.name.trim(),
    type: f.type,
    value: couponValue(f) ?? 0,
    max_usage: wholeNumber(f.max_usage) ?? 0,
    valid_from: localToRfc3339(f.valid_from) ?? '',
    valid_until: localToRfc3339(f.valid_until) ?? '',
  };
  const min = f.min_amount.trim() ? yuanToCents(f.min_amount) : null;
  if (min?.ok) body.min_amount = min.cents / 100;
  return body;
}

/* ---------- the admin's activity form ---------- */

export interface ActivityForm {
  name: string;
  type: ActivityType;
  description: string;
  /** For credit_gift and referral_bonus. */
  credits: string;
  /** For membership_discount and first_purchase (1–99). */
  percent: string;
  start_time: string;
  end_time: string;
}

export const ACTIVITY_FIELDS = ['name', 'type', 'description', 'credits', 'percent', 'start_time', 'end_time'] as const;

export const EMPTY_ACTIVITY_FORM: ActivityForm = {
  name: '',
  type: 'credit_gift',
  description: '',
  credits: '',
  percent: '',
  start_time: '',
  end_time: '',
};

/** Whether an activity type's config is credits (else a percent). */
export const takesCredits = (type: ActivityType) => CREDIT_ACTIVITY_TYPES.includes(type);

export function validateActivityForm(f: ActivityForm): FieldErrors {
  const e: FieldErrors = {};
  if (!f.name.trim()) e.name = t('validation.nameRequired');
  if (takesCredits(f.type)) {
    const n = wholeNumber(f.credits);
    if (n === null || n < 1) e.credits = t('operations.form.creditsInvalid');
  } else {
    const n = wholeNumber(f.percent);
    if (n === null || n < 1 || n > 99) e.percent = t('operations.form.percentInvalid');
  }
  checkWindow(e, 'start_time', 'end_time', f.start_time, f.end_time);
  return e;
}

/** The body of `POST /operation/activities`: `config` holds credits or a percent by type. */
export function activityBody(f: ActivityForm): NewActivity {
  return {
    name: f.name.trim(),
    type: f.type,
    description: f.description.trim(),
    config: takesCredits(f.type) ? { credits: wholeNumber(f.credits) ?? 0 } : { percent: wholeNumber(f.percent) ?? 0 },
    start_time: localToRfc3339(f.start_time) ?? '',
    end_time: localToRfc3339(f.end_time) ?? '',
  };
}

/**
 * A refused create as the form's errors: a 422 naming a field (`config.credits` is the credits
 * field) goes under that field, a 409 (the coupon's code is taken) under `conflictField`; null for
 * anything else (shown above the submit button).
 */
export function formServerErrors(e: unknown, known: readonly string[], conflictField?: string): FieldErrors | null {
  const onField = serverFieldError(e, known);
  if (onField) return { [onField.field]: onField.message };
  if (conflictField && e instanceof ApiError && e.status === 409) return { [conflictField]: fieldErrorMessage(e) };
  return null;
}
