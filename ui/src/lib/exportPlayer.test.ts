import { describe, expect, it } from 'vitest';
import { cuesToVtt, seekTime, shotAt, shotLabel, shotTimeline } from './exportPlayer';

describe('shotTimeline', () => {
  it('places shots one after another on frame boundaries', () => {
    const t = shotTimeline(
      [
        { id: 'a', number: 1, duration: 1.01 },
        { id: 'b', number: 2, duration: 1.01 },
        { id: 'c', number: 3, duration: 2 },
      ],
      30,
    );
    expect(t.map((s) => s.start)).toEqual([0, 1, 2.0333333333333332]);
    expect(t[0]!.duration).toBe(1);
    // 4.02 s lands on frame 121 at 30 fps.
    expect(t[2]!.start + t[2]!.duration).toBeCloseTo(121 / 30, 9);
  });

  it('gives a shot with no length no time', () => {
    const t = shotTimeline([
      { id: 'a', number: 1, duration: 0 },
      { id: 'b', number: 2, duration: Number.NaN },
      { id: 'c', number: 3, duration: 2 },
    ]);
    expect(t.map((s) => s.start)).toEqual([0, 0, 0]);
    expect(t[2]!.duration).toBe(2);
  });
});

describe('shotAt and seekTime', () => {
  const t = shotTimeline([
    { id: 'a', number: 1, duration: 2 },
    { id: 'b', number: 2, duration: 3 },
  ]);
  it('finds the shot on screen', () => {
    expect(shotAt(t, 0)?.id).toBe('a');
    expect(shotAt(t, 1.99)?.id).toBe('a');
    expect(shotAt(t, 2)?.id).toBe('b');
    expect(shotAt(t, 99)?.id).toBe('b');
    expect(shotAt([], 1)).toBeNull();
  });
  it('seeks just inside the shot', () => {
    const s = seekTime(t[1]!);
    expect(s).toBeGreaterThan(2);
    expect(shotAt(t, s)?.id).toBe('b');
  });
});

describe('shotLabel', () => {
  it('prefers the first line, else the description, one short line', () => {
    expect(shotLabel({ id: 'a', number: 1, duration: 1, dialogue: [{ character: '林晓', text: '你好\n世界' }] })).toBe('你好 世界');
    expect(shotLabel({ id: 'a', number: 1, duration: 1, description: 'x'.repeat(80) })).toHaveLength(60);
  });
});

describe('cuesToVtt', () => {
  it('writes WebVTT with one line per cue and no markup', () => {
    const vtt = cuesToVtt([
      { start: 1.5, end: 3.25, text: '你好\n\n<b>世界</b> --> &' },
      { start: 4, end: 4, text: 'empty' },
      { start: 3661.005, end: 3662, text: 'late' },
    ]);
    expect(vtt).toBe(
      'WEBVTT\n\n1\n00:00:01.500 --> 00:00:03.250\n你好 &lt;b>世界&lt;/b> → &amp;\n\n2\n01:01:01.005 --> 01:01:02.000\nlate\n',
    );
  });
});
