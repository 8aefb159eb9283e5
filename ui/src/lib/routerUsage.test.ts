import { describe, expect, it } from 'vitest';
import type { UsageBucket } from '../api/router';
import { BAR_HOURS, endReasonLabel, parseMaxTokens, promptTokenBound, tokenCredits, usageChart, worstCaseCredits } from './routerUsage';

const bucket = (hour: string, over: Partial<UsageBucket> = {}): UsageBucket => ({
  hour,
  requests: 1,
  errors: 0,
  prompt_tokens: 10,
  completion_tokens: 5,
  credits: 2,
  ...over,
});

describe('the worst-case cost (the router hold)', () => {
  it('bounds the prompt as src/router/tokens.rs does: JSON bytes + 8 a message + 16', () => {
    // serde_json writes [{"role":"user","content":"Say hello"}]: 39 bytes.
    expect(promptTokenBound([{ role: 'user', content: 'Say hello' }])).toBe(39 + 8 + 16);
    // Escapes count as written, and a CJK character is three UTF-8 bytes.
    expect(promptTokenBound([{ role: 'user', content: '你好\n"x"' }])).toBe(43 + 8 + 16);
    expect(promptTokenBound([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ])).toBe(JSON.stringify([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }]).length + 16 + 16);
  });

  it('rounds credits up like the server (same cases as its unit test)', () => {
    expect(tokenCredits(0, 0, 5, 5)).toBe(0);
    expect(tokenCredits(1, 0, 1, 0)).toBe(1);
    expect(tokenCredits(1000, 2000, 2, 4)).toBe(10);
    expect(tokenCredits(1500, 0, 1, 0)).toBe(2);
  });

  it('holds the prompt bound plus every allowed answer token at the listed prices', () => {
    const messages = [{ role: 'user' as const, content: 'Say hello' }];
    // 63 prompt tokens at 1000/1k and 50 answer tokens at 2000/1k: 63 + 100.
    expect(worstCaseCredits(messages, 50, { credits_in: 1000, credits_out: 2000 })).toBe(163);
    // 63 × 2 + 512 × 4 = 2174 thousandths: 3 credits.
    expect(worstCaseCredits(messages, 512, { credits_in: 2, credits_out: 4 })).toBe(3);
    expect(worstCaseCredits(messages, 512, { credits_in: 0, credits_out: 0 })).toBe(0);
  });

  it('reads the answer-token cap', () => {
    expect(parseMaxTokens(' 512 ')).toBe(512);
    expect(parseMaxTokens('1')).toBe(1);
    for (const bad of ['', '0', '-3', '2.5', '1e3', 'lots', '100001']) expect(parseMaxTokens(bad), bad).toBeNull();
  });
});

describe('usageChart', () => {
  const now = new Date('2026-03-10T12:34:00Z');

  it('a day: one bar an hour from the hour of `since` to the current one, empty hours at 0', () => {
    const c = usageChart(
      [bucket('2026-03-09T12:00:00Z', { requests: 3 }), bucket('2026-03-10T12:00:00Z', { requests: 8 }), bucket('2026-03-10T00:00:00Z', { requests: 1 })],
      '2026-03-09T12:34:00Z',
      now,
      'day',
      'requests',
    );
    expect(c.bars).toHaveLength(25);
    expect(c.bars[0]!.start).toBe('2026-03-09T12:00:00.000Z');
    expect(c.bars[24]!.start).toBe('2026-03-10T12:00:00.000Z');
    expect(c.bars.map((b) => b.requests)).toEqual([3, ...Array(11).fill(0), 1, ...Array(11).fill(0), 8]);
    // The axis goes to a round 10: heights are out of it.
    expect(c.max).toBe(10);
    expect(c.bars[24]!.height).toBeCloseTo(0.8);
    expect(c.bars[0]!.height).toBeCloseTo(0.3);
    expect(c.bars[1]!.height).toBe(0);
  });

  it('a week: 6-hour bars summing their hours, in the chosen metric', () => {
    const since = '2026-03-03T12:34:00Z';
    const buckets = [
      bucket('2026-03-03T12:00:00Z', { credits: 4, prompt_tokens: 100, completion_tokens: 20 }),
      bucket('2026-03-03T17:00:00Z', { credits: 6, prompt_tokens: 300, completion_tokens: 80, errors: 1 }),
      bucket('2026-03-03T18:00:00Z', { credits: 1 }),
    ];
    const c = usageChart(buckets, since, now, 'week', 'credits');
    expect(BAR_HOURS.week).toBe(6);
    // 7 days and the current hour: 169 hours in 6-hour bars.
    expect(c.bars).toHaveLength(29);
    expect(c.bars[0]).toMatchObject({ requests: 2, errors: 1, credits: 10, tokens: 500 });
    expect(c.bars[1]).toMatchObject({ requests: 1, credits: 1, tokens: 15 });
    expect(c.max).toBe(10);
    expect(c.bars[0]!.height).toBe(1);
    const byTokens = usageChart(buckets, since, now, 'week', 'tokens');
    expect(byTokens.max).toBe(500);
    expect(byTokens.bars[1]!.height).toBeCloseTo(15 / 500);
  });

  it('leaves out hours outside the period, and draws an empty period flat', () => {
    const c = usageChart([bucket('2026-01-01T00:00:00Z'), bucket('2026-03-11T00:00:00Z')], '2026-03-09T12:34:00Z', now, 'day', 'requests');
    expect(c.bars.every((b) => b.requests === 0 && b.height === 0)).toBe(true);
    expect(c.max).toBe(1);
  });

  it('a year is 53 weekly bars', () => {
    expect(usageChart([], '2025-03-10T12:34:00Z', now, 'year', 'requests').bars).toHaveLength(53);
    expect(usageChart([], '2026-02-08T12:34:00Z', now, 'month', 'requests').bars).toHaveLength(31);
  });
});

describe('endReasonLabel', () => {
  it('names the known end reasons, a running row, and passes unknown ones through', () => {
    expect(endReasonLabel('completed')).toBe('Completed');
    expect(endReasonLabel('client_disconnected')).toBe('Stopped by the caller');
    expect(endReasonLabel(null)).toBe('Running');
    expect(endReasonLabel('some_new_reason')).toBe('some new reason');
  });
});
