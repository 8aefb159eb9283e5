/** Pure helpers of the Models and Usage pages: the router's worst-case cost, usage bars, labels. */
import type { ChatMessage, Period, RouterPricing, UsageBucket } from '../api/router';
import { hasKey, t } from '../i18n';
import { niceCeil } from './credits';

/**
 * The most tokens a chat's prompt can count, as the router bounds it for its hold
 * (src/router/tokens.rs `upper_bound`): the messages' JSON in UTF-8 bytes (a token covers at
 * least a byte), plus 8 a message and 16 for the chat formatting.
 */
export function promptTokenBound(messages: ChatMessage[]): number {
  const bytes = new TextEncoder().encode(JSON.stringify(messages)).length;
  return bytes + 8 * messages.length + 16;
}

/** Credits for tokens at prices per 1,000, rounded up as the router does (src/router/tokens.rs `credits`). */
export function tokenCredits(prompt: number, completion: number, priceIn: number, priceOut: number): number {
  return Math.ceil((prompt * priceIn + completion * priceOut) / 1000);
}

/**
 * What the router holds before it calls the model: the prompt's bound plus every answer token
 * allowed, at the model's listed prices. The charge is for the tokens used, never more.
 */
export function worstCaseCredits(messages: ChatMessage[], maxTokens: number, pricing: Pick<RouterPricing, 'credits_in' | 'credits_out'>): number {
  return tokenCredits(promptTokenBound(messages), maxTokens, pricing.credits_in, pricing.credits_out);
}

/** The answer-token cap from its text field: a whole number from 1 to `max`, or null. */
export function parseMaxTokens(raw: string, max = 100_000): number | null {
  const s = raw.trim();
  if (!/^\d+$/.test(s)) return null;
  const n = Number(s);
  return n >= 1 && n <= max ? n : null;
}

export type UsageMetric = 'requests' | 'tokens' | 'credits';
export const USAGE_METRICS: readonly UsageMetric[] = ['requests', 'tokens', 'credits'];

/** Hours one bar covers: a day by the hour, a week by 6 hours, a month by the day, a year by the week. */
export const BAR_HOURS: Record<Period, number> = { day: 1, week: 6, month: 24, year: 168 };

const HOUR_MS = 3_600_000;

export interface UsageBar {
  /** When the bar's first hour starts (ISO, UTC). */
  start: string;
  requests: number;
  errors: number;
  tokens: number;
  credits: number;
  /** 0–1 of the chart's height, for the chosen metric. */
  height: number;
}

export interface UsageChart {
  bars: UsageBar[];
  /** The axis' top (a round number at or above the highest bar). */
  max: number;
}

function metricOf(b: Pick<UsageBar, 'requests' | 'tokens' | 'credits'>, metric: UsageMetric): number {
  return b[metric];
}

/**
 * The hourly buckets (only hours with usage) laid out as bars from `since` to `now`, every hour
 * of the period in one bar (empty ones at 0), each `BAR_HOURS[period]` hours wide.
 */
export function usageChart(buckets: UsageBucket[], since: string, now: Date, period: Period, metric: UsageMetric): UsageChart {
  const width = BAR_HOURS[period] * HOUR_MS;
  const start = Math.floor(Date.parse(since) / HOUR_MS) * HOUR_MS;
  const end = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS;
  const count = Math.max(1, Math.ceil((end - start) / width));
  const bars: UsageBar[] = Array.from({ length: count }, (_, i) => ({
    start: new Date(start + i * width).toISOString(),
    requests: 0,
    errors: 0,
    tokens: 0,
    credits: 0,
    height: 0,
  }));
  for (const b of buckets) {
    const i = Math.floor((Date.parse(b.hour) - start) / width);
    const bar = bars[i];
    if (!bar) continue;
    bar.requests += b.requests;
    bar.errors += b.errors;
    bar.tokens += b.prompt_tokens + b.completion_tokens;
    bar.credits += b.credits;
  }
  const peak = Math.max(0, ...bars.map((b) => metricOf(b, metric)));
  const max = niceCeil(peak);
  for (const b of bars) b.height = metricOf(b, metric) / max;
  return { bars, max };
}

/** "Completed", "Stalled"… for a usage row's `end_reason`; unknown ones read as they are. */
export function endReasonLabel(reason: string | null): string {
  if (reason === null) return t('routerUsage.endReason.open');
  const key = `routerUsage.endReason.${reason}`;
  return hasKey(key) ? t(key as never) : reason.replace(/_/g, ' ');
}
