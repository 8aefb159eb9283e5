/**
 * The storyboard as rows for a virtualised list: each scene is a header row followed by rows of
 * up to `columns` cards, so only the rows on screen are rendered (a 30,000-shot storyboard stays
 * as fast as a short one) and the browser's grid still lays cards out inside a row.
 */
import type { Shot, Storyboard, StoryboardScene } from '../api/types';

export type StoryboardRow =
  | { kind: 'scene'; key: string; scene: StoryboardScene }
  /** `start`: the index in its scene of the row's first shot. */
  | { kind: 'shots'; key: string; scene: StoryboardScene; shots: Shot[]; start: number };

export interface RowLayout {
  rows: StoryboardRow[];
  /** Shot id → index of the row that holds it. */
  rowOf: Map<string, number>;
}

export function layoutRows(sb: Storyboard, columns: number): RowLayout {
  const cols = Math.max(1, Math.floor(columns));
  const rows: StoryboardRow[] = [];
  const rowOf = new Map<string, number>();
  for (const scene of sb.scenes) {
    rows.push({ kind: 'scene', key: `scene-${scene.id}`, scene });
    for (let i = 0; i < scene.shots.length; i += cols) {
      const shots = scene.shots.slice(i, i + cols);
      for (const s of shots) rowOf.set(s.id, rows.length);
      rows.push({ kind: 'shots', key: `shots-${scene.id}-${shots[0]!.id}`, scene, shots, start: i });
    }
  }
  return { rows, rowOf };
}

/** How many cards of at least `minWidth` px fit in `width` with `gap` px between them (CSS auto-fill). */
export function columnsFor(width: number, minWidth: number, gap: number): number {
  if (!(width > 0)) return 1;
  return Math.max(1, Math.floor((width + gap) / (minWidth + gap)));
}

/**
 * The rows to render: the visible range plus the rows that must stay mounted (the focused card's,
 * so keyboard focus survives scrolling), sorted and without duplicates.
 */
export function withPinnedRows(range: number[], pinned: (number | undefined)[]): number[] {
  const out = new Set(range);
  for (const p of pinned) if (p !== undefined && p >= 0) out.add(p);
  return [...out].sort((a, b) => a - b);
}
