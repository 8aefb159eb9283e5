import { describe, expect, it } from 'vitest';
import type { Shot, Storyboard, StoryboardScene } from '../api/types';
import { mergeTargetId, placeOf, planStep, renumber } from './storyboardOrder';
import { columnsFor, layoutRows, withPinnedRows } from './storyboardRows';

function scene(id: string, number: number, ids: string[]): StoryboardScene {
  const shots = ids.map((x) => ({ id: x, duration: 1, description: x }) as unknown as Shot);
  return { id, number, heading: id, shots, shot_count: 0, duration: 0 } as unknown as StoryboardScene;
}

/** Scenes A: a1…a5 · B: (empty) · C: c1 */
function board(): Storyboard {
  return renumber({
    project_id: 'p',
    version_id: 'v',
    total_duration: 0,
    scenes: [scene('A', 1, ['a1', 'a2', 'a3', 'a4', 'a5']), scene('B', 2, []), scene('C', 3, ['c1'])],
  });
}

describe('layoutRows', () => {
  it('gives each scene a header row and rows of `columns` cards', () => {
    const { rows, rowOf } = layoutRows(board(), 2);
    expect(rows.map((r) => (r.kind === 'scene' ? `#${r.scene.id}` : r.shots.map((s) => s.id).join(',')))).toEqual([
      '#A',
      'a1,a2',
      'a3,a4',
      'a5',
      '#B',
      '#C',
      'c1',
    ]);
    expect(rowOf.get('a4')).toBe(2);
    expect(rows.map((r) => (r.kind === 'shots' ? r.start : -1))).toEqual([-1, 0, 2, 4, -1, -1, 0]);
    expect(rowOf.get('c1')).toBe(6);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
  });

  it('treats a silly column count as one', () => {
    expect(layoutRows(board(), 0).rows.filter((r) => r.kind === 'shots')).toHaveLength(6);
  });
});

describe('columnsFor', () => {
  it('matches CSS auto-fill with a gap', () => {
    expect(columnsFor(250, 250, 10)).toBe(1);
    expect(columnsFor(509, 250, 10)).toBe(1);
    expect(columnsFor(510, 250, 10)).toBe(2);
    expect(columnsFor(1048, 250, 10)).toBe(4);
    expect(columnsFor(0, 250, 10)).toBe(1);
  });
});

describe('withPinnedRows', () => {
  it('keeps the focused row mounted, in order, once', () => {
    expect(withPinnedRows([4, 5, 6], [1, 5, undefined])).toEqual([1, 4, 5, 6]);
  });
});

describe('mergeTargetId', () => {
  it('is the next shot of the same scene, never the first of the next scene', () => {
    const sb = board();
    expect(mergeTargetId(sb, 'a1')).toBe('a2');
    expect(mergeTargetId(sb, 'a5')).toBeNull();
    expect(mergeTargetId(sb, 'c1')).toBeNull();
    expect(mergeTargetId(sb, 'nope')).toBeNull();
  });
});

describe('placeOf', () => {
  it('names the neighbour that puts a shot back where it was', () => {
    const sb = board();
    expect(placeOf(sb, 'a3')).toEqual({ after_id: 'a2' });
    expect(placeOf(sb, 'a1')).toEqual({ before_id: 'a2' });
    expect(placeOf(sb, 'c1')).toBeNull();
    expect(placeOf(sb, 'nope')).toBeNull();
  });

  it('undoes a keyboard step', () => {
    const sb = board();
    const back = placeOf(sb, 'a2')!;
    const moved = planStep(sb, 'a2', 1)!.storyboard; // a1 a3 a2 a4 a5
    expect(moved.scenes[0]!.shots.map((s) => s.id)).toEqual(['a1', 'a3', 'a2', 'a4', 'a5']);
    expect(back).toEqual({ after_id: 'a1' });
  });
});
