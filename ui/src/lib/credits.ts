/** Pure helpers of the credits page: labels, signed amounts, the usage chart, estimate verdicts. */
import type { RunEstimate, UsageDay } from '../api/credits';
import { hasKey, t } from '../i18n';
import { formatCreditAmount } from './format';

export const TRANSACTION_TYPES = [
  'grant',
  'recharge',
  'coupon',
  'referral',
  'activity',
  'budget',
  'hold',
  'release',
  'void',
  'charge',
  'refund',
  'purchase',
  'membership',
  'quota_grant',
  'quota_expire',
  'correction',
] as const;

/** "Grant", "赠送"… for a ledger entry's type, in the active language; unknown types read as they are. */
export function typeLabel(type: string): string {
  const key = `credits.type.${type}`;
  return hasKey(key) ? t(key as never) : type.replace(/_/g, ' ');
}

/** Integer credits with the active locale's thousands separators: 12345 → "12,345". */
export function formatCredits(n: number): string {
  return formatCreditAmount(n);
}

/** "+30", "−22", "0" — the change a transaction made to the spendable balance. */
export function signedCredits(n: number): string {
  if (n > 0) return `+${formatCredits(n)}`;
  return formatCredits(n);
}

export interface Bar {
  date: string;
  credits: number;
  count: number;
  /** 0–1 of the chart's height. */
  height: number;
  label: string;
}

export interface Chart {
  bars: Bar[];
  max: number;
  /** Axis ticks (credits), from 0 up to a round maximum. */
  ticks: number[];
  total: number;
}

/** The smallest 1/2/5 × 10^k at or above n (for a tidy axis). */
export function niceCeil(n: number): number {
  if (n <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

export function usageChart(days: UsageDay[]): Chart {
  const peak = Math.max(0, ...days.map((d) => d.credits));
  const max = niceCeil(peak);
  const ticks = [0, max / 2, max].map((t) => Math.round(t));
  return {
    bars: days.map((d) => ({
      ...d,
      height: max > 0 ? d.credits / max : 0,
      label: t('credits.barLabel', { date: d.date, credits: formatCredits(d.credits), count: d.count }),
    })),
    max,
    ticks: Array.from(new Set(ticks)),
    total: days.reduce((s, d) => s + d.credits, 0),
  };
}

export type Verdict = { kind: 'free' | 'ok' | 'member' | 'short'; text: string };

/** What to say before a run starts. */
export function estimateVerdict(e: Pick<RunEstimate, 'estimated_cost' | 'available' | 'is_member'>): Verdict {
  const cost = formatCredits(e.estimated_cost);
  const available = formatCredits(e.available);
  if (e.estimated_cost <= 0) return { kind: 'free', text: t('credits.estimate.free') };
  if (e.is_member) return { kind: 'member', text: t('credits.estimate.member', { cost }) };
  if (e.available >= e.estimated_cost) return { kind: 'ok', text: t('credits.estimate.ok', { cost, available }) };
  return { kind: 'short', text: t('credits.estimate.short', { cost, available }) };
}

/** Reads a whole non-negative number of credits from a text field, or an error message. */
export function parseBudget(raw: string): { ok: true; value: number } | { ok: false; error: string } {
  const digits = raw.trim().replace(/[,，_\s]/g, '');
  if (!/^\d+$/.test(digits)) return { ok: false, error: t('credits.budgetNotNumber') };
  const value = Number(digits);
  if (!Number.isSafeInteger(value) || value > 1_000_000_000_000) return { ok: false, error: t('credits.budgetTooLarge') };
  return { ok: true, value };
}
