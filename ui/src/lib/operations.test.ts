import { afterEach, describe, expect, it } from 'vitest';
import { i18n } from '../i18n';
import { ApiError } from '../transport/errors';
import { signUpBody } from './accountForms';
import {
  ACTIVITY_FIELDS,
  COUPON_FIELDS,
  EMPTY_ACTIVITY_FORM,
  EMPTY_COUPON_FORM,
  absoluteReferralUrl,
  activityBody,
  couponAppliesTo,
  couponBody,
  couponMinimum,
  couponPrice,
  describeActivity,
  describeCoupon,
  formatRate,
  formServerErrors,
  localToRfc3339,
  referralUrlFor,
  validateActivityForm,
  validateCouponForm,
  type ActivityForm,
  type CouponForm,
} from './operations';

afterEach(async () => {
  await i18n.changeLanguage('en');
});

describe('the price with a coupon, as the server makes it', () => {
  it('floors a percent off to whole cents, takes a deduction below the price, adds a bonus to the credits', () => {
    expect(couponPrice({ type: 'discount', value: 10, min_amount_cents: 0 }, 10000, 1000)).toEqual({ cents: 9000, credits: 1000 });
    // 15% of ¥9.99 is 149.85 cents: 149 off (the server's integer division), 850 to pay.
    expect(couponPrice({ type: 'discount', value: 15, min_amount_cents: 0 }, 999, 99)).toEqual({ cents: 850, credits: 99 });
    expect(couponPrice({ type: 'deduction', value: 500, min_amount_cents: 0 }, 1000, 100)).toEqual({ cents: 500, credits: 100 });
    expect(couponPrice({ type: 'credit_bonus', value: 50, min_amount_cents: 0 }, 1000, 100)).toEqual({ cents: 1000, credits: 150 });
  });
  it('does not apply below its minimum, nor a deduction worth the whole order', () => {
    expect(couponPrice({ type: 'discount', value: 10, min_amount_cents: 5000 }, 4999, 499)).toBeNull();
    expect(couponPrice({ type: 'deduction', value: 1000, min_amount_cents: 0 }, 1000, 100)).toBeNull();
  });
});

describe('what a coupon gives', () => {
  it('a discount is a percent, a deduction is cents as money, a credit bonus is credits', () => {
    expect(describeCoupon({ type: 'discount', value: 10 })).toBe('10% off');
    expect(describeCoupon({ type: 'deduction', value: 500 })).toBe('¥5.00 off');
    expect(describeCoupon({ type: 'deduction', value: 1999 })).toBe('¥19.99 off');
    expect(describeCoupon({ type: 'credit_bonus', value: 50 })).toBe('+50 credits');
    expect(describeCoupon({ type: 'credit_bonus', value: 1 })).toBe('+1 credit');
    expect(describeCoupon({ type: 'credit_bonus', value: 1200 })).toBe('+1,200 credits');
  });

  it('its minimum, and whether an amount meets it', () => {
    expect(couponMinimum({ min_amount_cents: 0 })).toBeNull();
    expect(couponMinimum({ min_amount_cents: 5000 })).toBe('On orders from ¥50.00');
    expect(couponAppliesTo({ min_amount_cents: 5000 }, 4999)).toBe(false);
    expect(couponAppliesTo({ min_amount_cents: 5000 }, 5000)).toBe(true);
  });

  it('speaks Chinese', async () => {
    await i18n.changeLanguage('zh-CN');
    expect(describeCoupon({ type: 'discount', value: 10 })).toBe('10% 折扣');
    expect(describeCoupon({ type: 'deduction', value: 500 })).toBe('立减 ¥5.00');
    expect(describeCoupon({ type: 'credit_bonus', value: 50 })).toBe('+50 积分');
  });
});

describe('what an activity gives', () => {
  it('per type: credits now, a membership discount, a first-order discount, credits per friend', () => {
    expect(describeActivity({ type: 'credit_gift', config: { credits: 100 } })).toBe('+100 credits now');
    expect(describeActivity({ type: 'membership_discount', config: { percent: 20 } })).toBe('20% off your next membership');
    expect(describeActivity({ type: 'first_purchase', config: { percent: 15 } })).toBe('15% off your first order');
    expect(describeActivity({ type: 'referral_bonus', config: { credits: 30 } })).toBe('30 credits for each friend whose first order is paid');
  });
});

describe('the referral link', () => {
  it('a relative link gets the page origin; an absolute one stays', () => {
    expect(absoluteReferralUrl('/#/sign-up?ref=ABC123', 'https://studio.example.com')).toBe('https://studio.example.com/#/sign-up?ref=ABC123');
    expect(absoluteReferralUrl('/#/sign-up?ref=ABC123', 'https://studio.example.com/')).toBe('https://studio.example.com/#/sign-up?ref=ABC123');
    expect(absoluteReferralUrl('#/sign-up?ref=A', 'http://localhost:8080')).toBe('http://localhost:8080/#/sign-up?ref=A');
    expect(absoluteReferralUrl('https://other.example.com/#/sign-up?ref=A', 'http://localhost:8080')).toBe('https://other.example.com/#/sign-up?ref=A');
    expect(referralUrlFor('A B', 'http://x')).toBe('http://x/#/sign-up?ref=A%20B');
  });
});

describe('the statistics', () => {
  it('conversion as a percent', () => {
    expect(formatRate(0.1234)).toBe('12.3%');
    expect(formatRate(0)).toBe('0%');
    expect(formatRate(1)).toBe('100%');
  });
});

const coupon = (over: Partial<CouponForm> = {}): CouponForm => ({
  ...EMPTY_COUPON_FORM,
  code: 'SPRING10',
  name: 'Spring',
  value: '10',
  valid_from: '2026-03-01T00:00',
  valid_until: '2026-04-01T00:00',
  ...over,
});

describe('the admin coupon form', () => {
  it('accepts a good form and builds the body: value in percent, yuan or credits; min in yuan; RFC 3339 times', () => {
    expect(validateCouponForm(coupon())).toEqual({});
    const body = couponBody(coupon({ min_amount: '50' }));
    expect(body).toEqual({
      code: 'SPRING10',
      name: 'Spring',
      type: 'discount',
      value: 10,
      min_amount: 50,
      max_usage: 100,
      valid_from: localToRfc3339('2026-03-01T00:00'),
      valid_until: localToRfc3339('2026-04-01T00:00'),
    });
    expect(body.valid_from).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(couponBody(coupon({ type: 'deduction', value: '5.5' })).value).toBe(5.5);
    expect(couponBody(coupon({ type: 'credit_bonus', value: '50' })).value).toBe(50);
    expect('min_amount' in couponBody(coupon())).toBe(false);
  });

  it('refuses what the server would, on the field', () => {
    expect(validateCouponForm(coupon({ code: '' })).code).toBe('Enter a code');
    expect(validateCouponForm(coupon({ code: 'has space' })).code).toMatch(/letters, digits/);
    expect(validateCouponForm(coupon({ value: '0' })).value).toBe('Enter a percent from 1 to 99');
    expect(validateCouponForm(coupon({ value: '100' })).value).toBe('Enter a percent from 1 to 99');
    expect(validateCouponForm(coupon({ type: 'deduction', value: '5.001' })).value).toMatch(/yuan/);
    expect(validateCouponForm(coupon({ type: 'credit_bonus', value: '1.5' })).value).toMatch(/whole number/);
    expect(validateCouponForm(coupon({ min_amount: 'abc' })).min_amount).toBeDefined();
    expect(validateCouponForm(coupon({ max_usage: '0' })).max_usage).toBeDefined();
    expect(validateCouponForm(coupon({ valid_from: '' })).valid_from).toBe('Choose a date and time');
    expect(validateCouponForm(coupon({ valid_until: '2026-02-01T00:00' })).valid_until).toBe('Must be after the start');
  });
});

const activity = (over: Partial<ActivityForm> = {}): ActivityForm => ({
  ...EMPTY_ACTIVITY_FORM,
  name: 'Launch gift',
  credits: '100',
  start_time: '2026-03-01T00:00',
  end_time: '2026-04-01T00:00',
  ...over,
});

describe('the admin activity form', () => {
  it('credit_gift and referral_bonus send credits; the discounts send a percent', () => {
    expect(validateActivityForm(activity())).toEqual({});
    expect(activityBody(activity({ description: '  Welcome  ' }))).toEqual({
      name: 'Launch gift',
      type: 'credit_gift',
      description: 'Welcome',
      config: { credits: 100 },
      start_time: localToRfc3339('2026-03-01T00:00'),
      end_time: localToRfc3339('2026-04-01T00:00'),
    });
    expect(activityBody(activity({ type: 'referral_bonus', credits: '30' })).config).toEqual({ credits: 30 });
    expect(activityBody(activity({ type: 'membership_discount', percent: '20' })).config).toEqual({ percent: 20 });
    expect(activityBody(activity({ type: 'first_purchase', percent: '15' })).config).toEqual({ percent: 15 });
  });

  it('refuses a missing name, credits or percent out of range, an end before the start', () => {
    expect(validateActivityForm(activity({ name: ' ' })).name).toBeDefined();
    expect(validateActivityForm(activity({ credits: '0' })).credits).toMatch(/whole number/);
    expect(validateActivityForm(activity({ type: 'first_purchase', percent: '100' })).percent).toBe('Enter a percent from 1 to 99');
    expect(validateActivityForm(activity({ type: 'first_purchase', percent: '' })).percent).toBeDefined();
    expect(validateActivityForm(activity({ end_time: '2026-03-01T00:00' })).end_time).toBe('Must be after the start');
  });
});

const refusal = (status: number, detail: string, field?: string) =>
  new ApiError(status, { detail, error_code: status === 409 ? 'CONFLICT' : 'VALIDATION_ERROR', retryable: false, ...(field ? { field } : {}) });

describe("the server's refusal on the form", () => {
  it('a 422 names a field (config.credits is the credits field); a 409 on a coupon is its code', () => {
    expect(formServerErrors(refusal(422, 'credits must be at least 1', 'config.credits'), ACTIVITY_FIELDS)).toEqual({ credits: 'credits must be at least 1' });
    expect(formServerErrors(refusal(422, 'end_time must be after start_time', 'end_time'), ACTIVITY_FIELDS)).toEqual({ end_time: 'end_time must be after start_time' });
    expect(formServerErrors(refusal(409, 'a coupon with that code exists'), COUPON_FIELDS, 'code')).toEqual({ code: 'a coupon with that code exists' });
    expect(formServerErrors(refusal(422, 'value out of range', 'value'), COUPON_FIELDS, 'code')).toEqual({ value: 'value out of range' });
    expect(formServerErrors(refusal(500, 'boom'), COUPON_FIELDS, 'code')).toBeNull();
    expect(formServerErrors(new Error('x'), COUPON_FIELDS)).toBeNull();
  });
});

describe('the sign-up body', () => {
  it('carries the referral code only when one is given', () => {
    const form = { username: ' ann ', email: '', password: 'secret-pass', confirm_password: 'secret-pass' };
    expect(signUpBody(form)).toEqual({ username: 'ann', password: 'secret-pass', confirm_password: 'secret-pass' });
    expect(signUpBody(form, '  ')).not.toHaveProperty('referral_code');
    expect(signUpBody({ ...form, email: 'a@b.co' }, ' ABC123 ')).toEqual({
      username: 'ann',
      email: 'a@b.co',
      password: 'secret-pass',
      confirm_password: 'secret-pass',
      referral_code: 'ABC123',
    });
  });
});
