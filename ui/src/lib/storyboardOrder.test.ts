import { describe, expect, it } from 'vitest';
import type { Shot, Storyboard, StoryboardScene } from '../api/types';
import { flattenShots, neighbourId, planDrop, planStep, renumber, withoutShot, withShot } from './storyboardOrder';

function shot(id: string, duration = 2): Shot {
  return { id, duration, description: id, number: 0, scene_id: '', scene_number: 0 } as unknown as Shot;
}

function scene(id: string, number: number, ids: string[]): StoryboardScene {
  return { id, number, heading: id, shots: ids.map((x) => shot(x)), shot_count: 0, duration: 0 } as unknown as StoryboardScene;
}

/** Scenes A: a1 a2 a3 · B: (empty) · C: c1 c2 */
function board(): Storyboard {
  return renumber({
    project_id: 'p',
    version_id: 'v',
    total_duration: 0,
    scenes: [scene('A', 1, ['a1', 'a2', 'a3']), scene('B', 2, []), scene('C', 3, ['c1', 'c2'])],
  });
}

const layout = (sb: Storyboard) => sb.scenes.map((s) => `${s.id}:${s.shots.map((x) => x.id).join(',')}`).join(' ');

describe('renumber', () => {
  it('numbers shots in order, sets their scene, counts and durations', () => {
    const sb = board();
    expect(flattenShots(sb).map((s) => [s.id, s.number, s.scene_id, s.scene_number])).toEqual([
      ['a1', 1, 'A', 1],
      ['a2', 2, 'A', 1],
      ['a3', 3, 'A', 1],
      ['c1', 4, 'C', 3],
      ['c2', 5, 'C', 3],
    ]);
    expect(sb.scenes.map((s) => [s.shot_count, s.duration])).toEqual([
      [3, 6],
      [0, 0],
      [2, 4],
    ]);
    expect(sb.total_duration).toBe(10);
  });
});

describe('planStep', () => {
  const cases: [string, string, -1 | 1, string | null, unknown][] = [
    ['up inside a scene', 'a3', -1, 'A:a1,a3,a2 B: C:c1,c2', { after_id: 'a1' }],
    ['up to the first place of a scene', 'a2', -1, 'A:a2,a1,a3 B: C:c1,c2', { before_id: 'a1' }],
    ['down inside a scene', 'a1', 1, 'A:a2,a1,a3 B: C:c1,c2', { after_id: 'a2' }],
    ['down to the last place', 'c1', 1, 'A:a1,a2,a3 B: C:c2,c1', { after_id: 'c2' }],
    ['up across a scene boundary, over an empty scene', 'c1', -1, 'A:a1,a2,a3,c1 B: C:c2', { after_id: 'a3' }],
    ['down across a scene boundary', 'a3', 1, 'A:a1,a2 B: C:a3,c1,c2', { before_id: 'c1' }],
    ['the very first cannot go up', 'a1', -1, null, null],
    ['the very last cannot go down', 'c2', 1, null, null],
    ['an unknown shot', 'zz', 1, null, null],
  ];
  it.each(cases)('%s', (_n, id, dir, expected, target) => {
    const p = planStep(board(), id, dir);
    if (expected === null) {
      expect(p).toBeNull();
      return;
    }
    expect(layout(p!.storyboard)).toBe(expected);
    expect(p!.target).toEqual(target);
  });

  it('renumbers and moves the shot to its new scene in the plan', () => {
    const p = planStep(board(), 'a3', 1)!;
    const moved = flattenShots(p.storyboard).find((s) => s.id === 'a3')!;
    expect(moved.scene_id).toBe('C');
    expect(moved.scene_number).toBe(3);
    expect(moved.number).toBe(3);
    expect(p.storyboard.scenes.map((s) => s.shot_count)).toEqual([2, 0, 3]);
  });

  it('does not touch the storyboard it was given', () => {
    const sb = board();
    const before = JSON.stringify(sb);
    planStep(sb, 'a1', 1);
    expect(JSON.stringify(sb)).toBe(before);
  });
});

describe('planDrop', () => {
  const cases: [string, string, string, 'before' | 'after', string | null, unknown][] = [
    ['after a later shot of the same scene', 'a1', 'a3', 'after', 'A:a2,a3,a1 B: C:c1,c2', { after_id: 'a3' }],
    ['before the first shot of another scene', 'a1', 'c1', 'before', 'A:a2,a3 B: C:a1,c1,c2', { before_id: 'c1' }],
    ['after the last shot of another scene', 'c2', 'a3', 'after', 'A:a1,a2,a3,c2 B: C:c1', { after_id: 'a3' }],
    ['before a middle shot', 'c2', 'a2', 'before', 'A:a1,c2,a2,a3 B: C:c1', { after_id: 'a1' }],
    ['onto itself', 'a1', 'a1', 'after', null, null],
    ['to where it already is (before its next)', 'a1', 'a2', 'before', null, null],
    ['to where it already is (after its previous)', 'a2', 'a1', 'after', null, null],
  ];
  it.each(cases)('%s', (_n, id, target, pos, expected, body) => {
    const p = planDrop(board(), id, target, pos);
    if (expected === null) {
      expect(p).toBeNull();
      return;
    }
    expect(layout(p!.storyboard)).toBe(expected);
    expect(p!.target).toEqual(body);
  });

  it('a shot left alone in its scene is placed after the last shot before that scene', () => {
    const sb = renumber({ ...board(), scenes: [scene('A', 1, ['a1']), scene('C', 2, ['c1', 'c2'])] });
    // c1 dropped after a1: A gets a1,c1; then c2 alone in C.
    const p = planDrop(sb, 'c1', 'a1', 'after')!;
    expect(layout(p.storyboard)).toBe('A:a1,c1 C:c2');
    expect(p.target).toEqual({ after_id: 'a1' });
  });
});

describe('withoutShot / withShot / neighbourId', () => {
  it('removes a shot and renumbers', () => {
    const sb = withoutShot(board(), 'a2');
    expect(layout(sb)).toBe('A:a1,a3 B: C:c1,c2');
    expect(flattenShots(sb).map((s) => s.number)).toEqual([1, 2, 3, 4]);
  });

  it('replaces a shot with the server copy', () => {
    const sb = withShot(board(), { ...shot('c1', 5), description: 'edited' });
    const c1 = flattenShots(sb).find((s) => s.id === 'c1')!;
    expect(c1.description).toBe('edited');
    expect(c1.number).toBe(4);
    expect(sb.total_duration).toBe(13);
  });

  it('finds neighbours in reading order, clamped at both ends', () => {
    const sb = board();
    expect(neighbourId(sb, 'a3', 1)).toBe('c1');
    expect(neighbourId(sb, 'c1', -1)).toBe('a3');
    expect(neighbourId(sb, 'a1', -1)).toBe('a1');
    expect(neighbourId(sb, 'c2', 1)).toBe('c2');
    expect(neighbourId(sb, 'missing', 1)).toBe('a1');
  });
});
