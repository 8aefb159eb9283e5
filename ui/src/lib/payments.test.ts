import { describe, expect, it } from 'vitest';
import type { GatewayInfo, OrderCreated, PaymentPlan } from '../api/types';
import { ApiError } from '../transport';
import {
  availableGateways,
  creditsForCents,
  formatMoney,
  membershipTypeOf,
  orderErrorMessage,
  parseRechargeYuan,
  payStep,
  plansOfKind,
  rechargeAmount,
  sandboxTransactionId,
  summaryOfCreated,
  yuanToCents,
} from './payments';

describe('yuanToCents', () => {
  it('reads yuan as whole cents, digit by digit', () => {
    expect(yuanToCents('10')).toEqual({ ok: true, cents: 1000 });
    expect(yuanToCents('9.9')).toEqual({ ok: true, cents: 990 });
    expect(yuanToCents('9.90')).toEqual({ ok: true, cents: 990 });
    expect(yuanToCents('0.01')).toEqual({ ok: true, cents: 1 });
    expect(yuanToCents('0')).toEqual({ ok: true, cents: 0 });
    expect(yuanToCents('100000')).toEqual({ ok: true, cents: 10_000_000 });
    // Amounts whose float product is off (1.13 * 100 = 112.99999999999999, 4.35 * 100 = 434.99999999999994).
    expect(yuanToCents('1.13')).toEqual({ ok: true, cents: 113 });
    expect(yuanToCents('4.35')).toEqual({ ok: true, cents: 435 });
    expect(yuanToCents('19.99')).toEqual({ ok: true, cents: 1999 });
    expect(yuanToCents('9999999999999.99')).toEqual({ ok: true, cents: 999_999_999_999_999 });
  });

  it('takes what people type around the number', () => {
    expect(yuanToCents('  25 ')).toEqual({ ok: true, cents: 2500 });
    expect(yuanToCents('¥25')).toEqual({ ok: true, cents: 2500 });
    expect(yuanToCents('￥ 25.5')).toEqual({ ok: true, cents: 2550 });
    expect(yuanToCents('1,000.50')).toEqual({ ok: true, cents: 100_050 });
    expect(yuanToCents('100，000')).toEqual({ ok: true, cents: 10_000_000 });
    expect(yuanToCents('1 000')).toEqual({ ok: true, cents: 100_000 });
    expect(yuanToCents('010')).toEqual({ ok: true, cents: 1000 });
  });

  it('refuses what is not an amount with at most two decimals', () => {
    expect(yuanToCents('')).toEqual({ ok: false, problem: 'empty' });
    expect(yuanToCents('   ')).toEqual({ ok: false, problem: 'empty' });
    expect(yuanToCents('abc')).toEqual({ ok: false, problem: 'format' });
    expect(yuanToCents('-1')).toEqual({ ok: false, problem: 'format' });
    expect(yuanToCents('1e3')).toEqual({ ok: false, problem: 'format' });
    expect(yuanToCents('10.')).toEqual({ ok: false, problem: 'format' });
    expect(yuanToCents('.5')).toEqual({ ok: false, problem: 'format' });
    expect(yuanToCents('1.2.3')).toEqual({ ok: false, problem: 'format' });
    expect(yuanToCents('0x10')).toEqual({ ok: false, problem: 'format' });
    expect(yuanToCents('10.001')).toEqual({ ok: false, problem: 'decimals' });
    // A decimal comma is not read as a thousands separator (¥990 for "9,90").
    expect(yuanToCents('9,90')).toEqual({ ok: false, problem: 'format' });
    expect(yuanToCents('1,00,000')).toEqual({ ok: false, problem: 'format' });
    expect(yuanToCents('99999999999999')).toEqual({ ok: false, problem: 'range' });
  });
});

describe('parseRechargeYuan', () => {
  it('takes ¥1 to ¥100,000 with at most two decimals', () => {
    expect(parseRechargeYuan('10')).toEqual({ ok: true, cents: 1000 });
    expect(parseRechargeYuan('9.9')).toEqual({ ok: true, cents: 990 });
    expect(parseRechargeYuan('1')).toEqual({ ok: true, cents: 100 });
    expect(parseRechargeYuan('1.01')).toEqual({ ok: true, cents: 101 });
    expect(parseRechargeYuan('100000')).toEqual({ ok: true, cents: 10_000_000 });
    expect(parseRechargeYuan('100000.00')).toEqual({ ok: true, cents: 10_000_000 });
  });

  it('refuses the rest, saying why', () => {
    expect(parseRechargeYuan('')).toEqual({ ok: false, problem: 'empty' });
    expect(parseRechargeYuan('abc')).toEqual({ ok: false, problem: 'format' });
    expect(parseRechargeYuan('-1')).toEqual({ ok: false, problem: 'format' });
    expect(parseRechargeYuan('10.001')).toEqual({ ok: false, problem: 'decimals' });
    expect(parseRechargeYuan('0')).toEqual({ ok: false, problem: 'range' });
    expect(parseRechargeYuan('0.01')).toEqual({ ok: false, problem: 'range' });
    expect(parseRechargeYuan('0.99')).toEqual({ ok: false, problem: 'range' });
    expect(parseRechargeYuan('100000.01')).toEqual({ ok: false, problem: 'range' });
    expect(parseRechargeYuan('1000000')).toEqual({ ok: false, problem: 'range' });
  });
});

describe('what an amount buys', () => {
  it('one credit per 10 cents, whole credits', () => {
    expect(creditsForCents(1000)).toBe(100);
    expect(creditsForCents(990)).toBe(99);
    expect(creditsForCents(999)).toBe(99);
    expect(creditsForCents(10_000_000)).toBe(1_000_000);
  });

  it("a pack's own credits, or the typed amount's", () => {
    expect(rechargeAmount({ kind: 'pack', plan: { amount_cents: 5000, credits: 500 } })).toEqual({ ok: true, cents: 5000, credits: 500 });
    expect(rechargeAmount({ kind: 'custom', text: '12.34' })).toEqual({ ok: true, cents: 1234, credits: 123 });
    expect(rechargeAmount({ kind: 'custom', text: 'abc' })).toEqual({ ok: false, problem: 'format' });
  });
});

describe('formatMoney', () => {
  it('shows yuan with the narrow symbol in both languages', () => {
    expect(formatMoney(990, 'CNY', 'en')).toBe('¥9.90');
    expect(formatMoney(1000, 'CNY', 'en')).toBe('¥10.00');
    expect(formatMoney(10_000_000, 'CNY', 'en')).toBe('¥100,000.00');
    expect(formatMoney(2500, 'CNY', 'zh-CN')).toBe('¥25.00');
  });

  it('falls back to the code for a currency Intl does not know', () => {
    expect(formatMoney(1050, 'NOPE1', 'en')).toBe('10.50 NOPE1');
  });
});

const plan = (plan_id: string, kind: PaymentPlan['kind'], amount_cents: number, credits = 0): PaymentPlan => ({ plan_id, kind, amount_cents, currency: 'CNY', credits });

describe('plans and gateways', () => {
  it('lists the plans of a kind, cheapest first', () => {
    const plans = [plan('credits_1000', 'recharge', 10000, 1000), plan('membership_monthly', 'membership', 990), plan('credits_100', 'recharge', 1000, 100)];
    expect(plansOfKind(plans, 'recharge').map((p) => p.plan_id)).toEqual(['credits_100', 'credits_1000']);
    expect(plansOfKind(plans, 'membership').map((p) => p.plan_id)).toEqual(['membership_monthly']);
    expect(membershipTypeOf({ plan_id: 'membership_yearly' })).toBe('yearly');
  });

  it('offers only the gateways that take payments, the sandbox last', () => {
    const list: GatewayInfo[] = [
      { gateway: 'sandbox', available: true, sandbox: true },
      { gateway: 'alipay', available: false, sandbox: false },
      { gateway: 'wechat', available: true, sandbox: false },
      { gateway: 'stripe', available: true, sandbox: false },
    ];
    expect(availableGateways(list).map((g) => g.gateway)).toEqual(['wechat', 'stripe', 'sandbox']);
    expect(availableGateways(list.map((g) => ({ ...g, available: false })))).toEqual([]);
  });
});

describe('payStep', () => {
  it('WeChat: the weixin:// code as a QR code', () => {
    expect(payStep({ id: 'o1', gateway: 'wechat', payment_url: 'weixin://wxpay/bizpayurl?pr=abc' })).toEqual({ kind: 'qr', code: 'weixin://wxpay/bizpayurl?pr=abc' });
    expect(payStep({ id: 'o1', gateway: 'wechat', payment_url: null })).toEqual({ kind: 'none' });
  });

  it("Alipay and Stripe: the gateway's web page, and nothing else", () => {
    expect(payStep({ id: 'o1', gateway: 'alipay', payment_url: 'https://openapi.alipay.com/gateway.do?x=1' })).toEqual({ kind: 'open', url: 'https://openapi.alipay.com/gateway.do?x=1' });
    expect(payStep({ id: 'o1', gateway: 'stripe', payment_url: 'https://checkout.stripe.com/c/pay/cs_test' })).toEqual({ kind: 'open', url: 'https://checkout.stripe.com/c/pay/cs_test' });
    expect(payStep({ id: 'o1', gateway: 'stripe', payment_url: 'javascript:alert(1)' })).toEqual({ kind: 'none' });
    expect(payStep({ id: 'o1', gateway: 'alipay', payment_url: '/relative' })).toEqual({ kind: 'none' });
  });

  it("the sandbox: this UI's own page for the order", () => {
    expect(payStep({ id: 'o1', gateway: 'sandbox', payment_url: '/#/pay/sandbox/o1' })).toEqual({ kind: 'sandbox', orderId: 'o1' });
  });
});

describe('orders', () => {
  it('summarises an order just made', () => {
    const created: OrderCreated = {
      order_id: 'o1',
      billing_id: 'o1',
      amount: '9.90',
      amount_cents: 990,
      currency: 'CNY',
      credits: 0,
      payment_method: 'sandbox',
      payment_url: '/#/pay/sandbox/o1',
      status: 'pending',
      expires_at: '2026-12-06T22:04:03.317Z',
    };
    expect(summaryOfCreated(created, 'membership', 'monthly')).toEqual({
      id: 'o1',
      kind: 'membership',
      product: 'monthly',
      gateway: 'sandbox',
      amount_cents: 990,
      currency: 'CNY',
      credits: 0,
      status: 'pending',
      payment_url: '/#/pay/sandbox/o1',
      expires_at: '2026-12-06T22:04:03.317Z',
    });
  });

  it('makes a fresh sandbox payment number each time', () => {
    const a = sandboxTransactionId();
    expect(a).toMatch(/^sandbox-[0-9a-f]{16}$/);
    expect(sandboxTransactionId()).not.toBe(a);
  });

  it('says that a gateway is not set up rather than "server busy"', () => {
    const off = new ApiError(503, { detail: 'alipay payments are not available on this instance', error_code: 'SERVICE_UNAVAILABLE', retryable: true });
    expect(orderErrorMessage(off)).toMatch(/not available on this server/);
    const notSetUp = new ApiError(422, { detail: 'alipay payments are not available on this instance', error_code: 'VALIDATION_ERROR', retryable: false, field: 'payment_method' });
    expect(orderErrorMessage(notSetUp)).toMatch(/not available on this server/);
    const bad = new ApiError(422, { detail: 'a recharge is ¥1.00 to ¥100000.00 (got ¥0.50)', error_code: 'VALIDATION_ERROR', retryable: false, field: 'amount' });
    expect(orderErrorMessage(bad)).toBe('a recharge is ¥1.00 to ¥100000.00 (got ¥0.50)');
  });
});
