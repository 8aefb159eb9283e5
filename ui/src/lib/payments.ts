/**
 * Pure helpers of the purchase screens: reading an amount of money typed in yuan, what it buys,
 * showing money, and how an order is paid (docs/API-PAYMENTS.md).
 */
import type { GatewayInfo, Order, OrderCreated, OrderKind, PaymentPlan } from '../api/types';
import { activeLocale, t } from '../i18n';
import { ApiError, errorMessage } from '../transport';

/** The smallest and the largest recharge the server takes: ¥1 to ¥100,000, in cents. */
export const MIN_RECHARGE_CENTS = 100;
export const MAX_RECHARGE_CENTS = 10_000_000;

/** One credit per 10 cents (¥10 buys 100 credits). */
export const CENTS_PER_CREDIT = 10;

/** Why a typed amount is refused: nothing typed, not a number, more than two decimals, out of range. */
export type AmountProblem = 'empty' | 'format' | 'decimals' | 'range';

export type ParsedAmount = { ok: true; cents: number } | { ok: false; problem: AmountProblem };

/**
 * Reads an amount in yuan ("10", "9.9", "0.01", "1,000.50", "¥25") as whole cents. The text is
 * read digit by digit, never through a float: no 1.13 × 100 = 112.99999999999999.
 */
export function yuanToCents(raw: string): ParsedAmount {
  const text = raw.trim().replace(/^[¥￥]/, '').replace(/\s/g, '');
  if (text === '') return { ok: false, problem: 'empty' };
  // Commas only as thousands separators: "9,90" is refused, not read as ¥990.
  const m = /^(\d{1,3}(?:[,，]\d{3})+|\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return { ok: false, problem: 'format' };
  const whole = m[1]!.replace(/[,，]/g, '').replace(/^0+(?=\d)/, '');
  const fraction = m[2] ?? '';
  if (fraction.length > 2) return { ok: false, problem: 'decimals' };
  // Past 13 digits of yuan the cents are no longer exact in a JavaScript number.
  if (whole.length > 13) return { ok: false, problem: 'range' };
  return { ok: true, cents: Number(whole) * 100 + Number(fraction.padEnd(2, '0')) };
}

/** A recharge typed in yuan: whole cents from ¥1 to ¥100,000, as the server takes them. */
export function parseRechargeYuan(raw: string): ParsedAmount {
  const parsed = yuanToCents(raw);
  if (!parsed.ok) return parsed;
  if (parsed.cents < MIN_RECHARGE_CENTS || parsed.cents > MAX_RECHARGE_CENTS) return { ok: false, problem: 'range' };
  return parsed;
}

/** The credits an amount buys (whole credits; a part of 10 cents buys nothing). */
export function creditsForCents(cents: number): number {
  return Math.floor(cents / CENTS_PER_CREDIT);
}

/** Money for people: 990 CNY → "¥9.90" (the narrow symbol in every language). */
export function formatMoney(cents: number, currency = 'CNY', locale: string = activeLocale()): string {
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency, currencyDisplay: 'narrowSymbol' }).format(cents / 100);
  } catch {
    // An unknown currency code: the amount with the code after it.
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

/** The plans of one kind, cheapest first. */
export function plansOfKind(plans: readonly PaymentPlan[], kind: OrderKind): PaymentPlan[] {
  return plans.filter((p) => p.kind === kind).sort((a, b) => a.amount_cents - b.amount_cents);
}

/** `membership_monthly` → `monthly`. */
export function membershipTypeOf(plan: Pick<PaymentPlan, 'plan_id'>): string {
  return plan.plan_id.replace(/^membership_/, '');
}

/** The gateways that take payments now, real ones first and the sandbox last. */
export function availableGateways(list: readonly GatewayInfo[]): GatewayInfo[] {
  return list.filter((g) => g.available).sort((a, b) => Number(a.sandbox) - Number(b.sandbox));
}

/** How the payer pays an order that waits for payment. */
export type PayStep =
  /** WeChat Pay: the `weixin://` code shown as a QR code to scan. */
  | { kind: 'qr'; code: string }
  /** Alipay and Stripe: the gateway's own page, opened in a new window. */
  | { kind: 'open'; url: string }
  /** The sandbox: this UI's own page, `#/pay/sandbox/{id}`. */
  | { kind: 'sandbox'; orderId: string }
  /** The gateway gave nothing to pay with (should not happen; the order cannot be paid here). */
  | { kind: 'none' };

/** What to show the payer for an order, from its gateway and `payment_url`. */
export function payStep(order: Pick<Order, 'id' | 'gateway' | 'payment_url'>): PayStep {
  const url = order.payment_url ?? '';
  switch (order.gateway) {
    case 'sandbox':
      return { kind: 'sandbox', orderId: order.id };
    case 'wechat':
      return url ? { kind: 'qr', code: url } : { kind: 'none' };
    default:
      // Only a web page is opened: a link from the server is never run as script.
      return isWebUrl(url) ? { kind: 'open', url } : { kind: 'none' };
  }
}

function isWebUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** A payment number for a sandbox completion: `sandbox-` and 16 random hex digits. */
export function sandboxTransactionId(): string {
  // getRandomValues, not randomUUID: the latter needs a secure context (a server on plain http).
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `sandbox-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** What the order screens show of an order: a read `Order`, or what creating it answered. */
export type OrderSummary = Pick<
  Order,
  'id' | 'kind' | 'product' | 'gateway' | 'amount_cents' | 'currency' | 'credits' | 'status' | 'payment_url' | 'expires_at'
>;

/** The summary of an order just made; `product` is `credits` or the membership type, as the server names it. */
export function summaryOfCreated(created: OrderCreated, kind: OrderKind, product: string): OrderSummary {
  return {
    id: created.order_id,
    kind,
    product,
    gateway: created.payment_method,
    amount_cents: created.amount_cents,
    currency: created.currency,
    credits: created.credits,
    status: created.status,
    payment_url: created.payment_url ?? null,
    expires_at: created.expires_at,
  };
}

/** What a recharge form's choice comes to: a pack's price or the typed amount, and the credits it buys. */
export type RechargeChoice = { kind: 'pack'; plan: Pick<PaymentPlan, 'amount_cents' | 'credits'> } | { kind: 'custom'; text: string };

export type RechargeAmount = { ok: true; cents: number; credits: number } | { ok: false; problem: AmountProblem };

export function rechargeAmount(choice: RechargeChoice): RechargeAmount {
  if (choice.kind === 'pack') return { ok: true, cents: choice.plan.amount_cents, credits: choice.plan.credits };
  const parsed = parseRechargeYuan(choice.text);
  return parsed.ok ? { ok: true, cents: parsed.cents, credits: creditsForCents(parsed.cents) } : parsed;
}

/**
 * Whether an order was refused because its gateway is not available here: a 422 naming
 * `payment_method` (not set up, or the sandbox off), or a 503 (a gateway whose settings broke).
 */
export function isGatewayUnavailable(e: unknown): boolean {
  return (
    e instanceof ApiError &&
    (e.error_code === 'SERVICE_UNAVAILABLE' || (e.error_code === 'VALIDATION_ERROR' && e.field === 'payment_method'))
  );
}

/** The message for a refused order: an unavailable gateway says so plainly. */
export function orderErrorMessage(e: unknown): string {
  if (isGatewayUnavailable(e)) return t('payments.gatewayUnavailable');
  return errorMessage(e);
}
