import { describe, expect, it } from 'vitest';
import { estimateVerdict, formatCredits, niceCeil, parseBudget, signedCredits, typeLabel, usageChart } from './credits';

describe('credits formatting', () => {
  it('formats integers with separators and signs', () => {
    expect(formatCredits(12345)).toBe('12,345');
    expect(formatCredits(0)).toBe('0');
    expect(signedCredits(30)).toBe('+30');
    expect(signedCredits(-22)).toBe('−22');
    expect(signedCredits(0)).toBe('0');
  });

  it('labels transaction types, unknown ones readably', () => {
    expect(typeLabel('charge')).toBe('Charge');
    expect(typeLabel('quota_grant')).toBe('Monthly quota');
    expect(typeLabel('new_kind')).toBe('new kind');
  });
});

describe('usageChart', () => {
  it('scales bars to a round maximum', () => {
    expect(niceCeil(0)).toBe(1);
    expect(niceCeil(7)).toBe(10);
    expect(niceCeil(12)).toBe(20);
    expect(niceCeil(48)).toBe(50);
    expect(niceCeil(100)).toBe(100);
    const c = usageChart([
      { date: '2026-02-07', credits: 0, count: 3 },
      { date: '2026-02-08', credits: 35, count: 1 },
    ]);
    expect(c.max).toBe(50);
    expect(c.ticks).toEqual([0, 25, 50]);
    expect(c.bars.map((b) => b.height)).toEqual([0, 0.7]);
    expect(c.total).toBe(35);
    expect(c.bars[0].label).toBe('2026-02-07: 0 credits, 3 steps');
    expect(c.bars[1].label).toBe('2026-02-08: 35 credits, 1 step');
  });

  it('handles no usage at all', () => {
    const c = usageChart([]);
    expect(c.bars).toEqual([]);
    expect(c.max).toBe(1);
  });
});

describe('estimateVerdict', () => {
  it('says free, covered, member or short', () => {
    expect(estimateVerdict({ estimated_cost: 0, available: 0, is_member: false }).kind).toBe('free');
    expect(estimateVerdict({ estimated_cost: 10, available: 25, is_member: false })).toEqual({
      kind: 'ok',
      text: 'Est. 10 credits of 25; charged only for steps that succeed',
    });
    expect(estimateVerdict({ estimated_cost: 500, available: 1, is_member: true }).kind).toBe('member');
    expect(estimateVerdict({ estimated_cost: 10, available: 3, is_member: false })).toEqual({
      kind: 'short',
      text: 'Needs 10 credits; 3 available',
    });
  });
});

describe('parseBudget', () => {
  it('accepts whole numbers with separators and refuses the rest', () => {
    expect(parseBudget(' 1,000 ')).toEqual({ ok: true, value: 1000 });
    expect(parseBudget('0')).toEqual({ ok: true, value: 0 });
    expect(parseBudget('-5').ok).toBe(false);
    expect(parseBudget('1.5').ok).toBe(false);
    expect(parseBudget('').ok).toBe(false);
    expect(parseBudget('99999999999999999').ok).toBe(false);
  });
});
