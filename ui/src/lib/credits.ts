/** Pure helpers of the credits page: labels, signed amounts, the usage chart, estimate verdicts. */
import type { RunEstimate, UsageDay } from '../api/credits';

export const TRANSACTION_TYPES = [
  'grant',
  'coupon',
  'referral',
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

const TYPE_LABELS: Record<string, string> = {
  grant: 'Grant',
  coupon: 'Coupon',
  referral: 'Referral reward',
  compensation: 'Compensation',
  budget: 'Budget set',
  hold: 'Hold',
  release: 'Returned from hold',
  void: 'Hold voided',
  charge: 'Charge',
  refund: 'Refund',
  purchase: 'Plan purchase',
  membership: 'Membership',
  quota_grant: 'Monthly quota',
  quota_expire: 'Quota expired',
  correction: 'Correction',
};

export function typeLabel(type: string): string {
  return TYPE_LABELS[type] ?? type.replace(/_/g, ' ');
}

/** Integer credits with thousands separators: 12345 → "12,345". */
export function formatCredits(n: number): string {
  const sign = n < 0 ? '−' : '';
  return sign + Math.abs(Math.trunc(n)).toLocaleString('en-US');
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
      label: `${d.date}: ${formatCredits(d.credits)} credits, ${d.count} ${d.count === 1 ? 'step' : 'steps'}`,
    })),
    max,
    ticks: Array.from(new Set(ticks)),
    total: days.reduce((s, d) => s + d.credits, 0),
  };
}

export type Verdict = { kind: 'free' | 'ok' | 'member' | 'short'; text: string };

/** What to say before a run starts. */
export function estimateVerdict(e: Pick<RunEstimate, 'estimated_cost' | 'available' | 'is_member'>): Verdict {
  if (e.estimated_cost <= 0) return { kind: 'free', text: 'Free: offline providers cost nothing' };
  if (e.is_member) return { kind: 'member', text: `Est. ${formatCredits(e.estimated_cost)} credits — not charged (member)` };
  if (e.available >= e.estimated_cost) {
    return {
      kind: 'ok',
      text: `Est. ${formatCredits(e.estimated_cost)} credits of ${formatCredits(e.available)}; charged only for steps that succeed`,
    };
  }
  return {
    kind: 'short',
    text: `Needs ${formatCredits(e.estimated_cost)} credits; ${formatCredits(e.available)} available`,
  };
}

/** Reads a whole non-negative number of credits from a text field, or an error message. */
export function parseBudget(raw: string): { ok: true; value: number } | { ok: false; error: string } {
  const t = raw.trim().replace(/[,_\s]/g, '');
  if (!/^\d+$/.test(t)) return { ok: false, error: 'Enter a whole number of credits (0 or more)' };
  const value = Number(t);
  if (!Number.isSafeInteger(value) || value > 1_000_000_000_000) return { ok: false, error: 'That budget is too large' };
  return { ok: true, value };
}
