/**
 * Pure helpers for reordering shots in a storyboard: where a keyboard step or a drop puts a
 * shot, the `move` request that says so to the server, and the optimistic storyboard.
 *
 * The server moves one shot at a time relative to a neighbour (`after_id` or `before_id`) and the
 * shot joins that neighbour's scene, so a plan always names the neighbour *inside the scene the
 * shot lands in*: the shot before it there, or (when it lands first) the shot after it.
 */
import type { MoveTarget, Shot, Storyboard, StoryboardScene } from '../api/types';

export interface MovePlan {
  /** The body of `POST /storyboards/{id}/move`. */
  target: MoveTarget;
  /** The storyboard as it will be after the move (for an optimistic update). */
  storyboard: Storyboard;
}

export type DropPosition = 'before' | 'after';

interface Place {
  scene: number;
  index: number;
}

/** Every shot in order. */
export function flattenShots(sb: Storyboard): Shot[] {
  return sb.scenes.flatMap((s) => s.shots);
}

function locate(scenes: StoryboardScene[], id: string): Place | null {
  for (let s = 0; s < scenes.length; s++) {
    const i = scenes[s]!.shots.findIndex((x) => x.id === id);
    if (i >= 0) return { scene: s, index: i };
  }
  return null;
}

/** Numbers shots 1…n in order and refreshes each scene's shot count and duration. */
export function renumber(sb: Storyboard): Storyboard {
  let n = 0;
  let total = 0;
  const scenes = sb.scenes.map((scene) => {
    const shots = scene.shots.map((shot) => {
      n += 1;
      return shot.number === n && shot.scene_id === scene.id && shot.scene_number === scene.number
        ? shot
        : { ...shot, number: n, scene_id: scene.id, scene_number: scene.number };
    });
    const duration = round3(shots.reduce((d, s) => d + s.duration, 0));
    total += duration;
    return { ...scene, shots, shot_count: shots.length, duration };
  });
  return { ...sb, scenes, total_duration: round3(total) };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Puts `shot` at `place` (after it was taken out) and derives the request. */
function plan(sb: Storyboard, without: StoryboardScene[], shot: Shot, place: Place): MovePlan {
  const scenes = without.map((s, i) =>
    i === place.scene ? { ...s, shots: [...s.shots.slice(0, place.index), shot, ...s.shots.slice(place.index)] } : s,
  );
  const landed = scenes[place.scene]!.shots;
  const target: MoveTarget =
    place.index > 0
      ? { after_id: landed[place.index - 1]!.id }
      : landed.length > 1
        ? { before_id: landed[1]!.id }
        : // Alone in its scene: place it after the last shot before that scene (or first).
          { after_id: lastShotBefore(scenes, place.scene)?.id ?? null };
  return { target, storyboard: renumber({ ...sb, scenes }) };
}

function lastShotBefore(scenes: StoryboardScene[], sceneIndex: number): Shot | undefined {
  for (let s = sceneIndex - 1; s >= 0; s--) {
    const shots = scenes[s]!.shots;
    if (shots.length) return shots[shots.length - 1];
  }
  return undefined;
}

function takeOut(sb: Storyboard, at: Place): StoryboardScene[] {
  return sb.scenes.map((s, i) => (i === at.scene ? { ...s, shots: s.shots.filter((_, j) => j !== at.index) } : s));
}

/**
 * One keyboard step (Alt+↑ / Alt+↓). Inside a scene the shot swaps with its neighbour; at the
 * edge of a scene it crosses into the next scene that has shots (becoming its last shot going
 * up, its first going down). Null when it is already first / last.
 */
export function planStep(sb: Storyboard, id: string, direction: -1 | 1): MovePlan | null {
  const at = locate(sb.scenes, id);
  if (!at) return null;
  const shot = sb.scenes[at.scene]!.shots[at.index]!;
  const without = takeOut(sb, at);
  const count = sb.scenes[at.scene]!.shots.length;
  if (direction < 0) {
    if (at.index > 0) return plan(sb, without, shot, { scene: at.scene, index: at.index - 1 });
    for (let s = at.scene - 1; s >= 0; s--) {
      if (without[s]!.shots.length) return plan(sb, without, shot, { scene: s, index: without[s]!.shots.length });
    }
    return null;
  }
  if (at.index < count - 1) return plan(sb, without, shot, { scene: at.scene, index: at.index + 1 });
  for (let s = at.scene + 1; s < without.length; s++) {
    if (without[s]!.shots.length) return plan(sb, without, shot, { scene: s, index: 0 });
  }
  return null;
}

/** Dropping shot `id` before or after shot `targetId`. Null when nothing would change. */
export function planDrop(sb: Storyboard, id: string, targetId: string, position: DropPosition): MovePlan | null {
  if (id === targetId) return null;
  const at = locate(sb.scenes, id);
  if (!at) return null;
  const shot = sb.scenes[at.scene]!.shots[at.index]!;
  const without = takeOut(sb, at);
  const t = locate(without, targetId);
  if (!t) return null;
  const place = { scene: t.scene, index: position === 'before' ? t.index : t.index + 1 };
  if (place.scene === at.scene && place.index === at.index) return null;
  return plan(sb, without, shot, place);
}

/** The storyboard without shot `id` (optimistic delete). */
export function withoutShot(sb: Storyboard, id: string): Storyboard {
  return renumber({ ...sb, scenes: sb.scenes.map((s) => ({ ...s, shots: s.shots.filter((x) => x.id !== id) })) });
}

/** The storyboard with `shot` replaced by the server's copy (same id). */
export function withShot(sb: Storyboard, shot: Shot): Storyboard {
  return renumber({
    ...sb,
    scenes: sb.scenes.map((s) => ({ ...s, shots: s.shots.map((x) => (x.id === shot.id ? shot : x)) })),
  });
}

/** The id of the shot `delta` places away from `id` in reading order (clamped), for focus moves. */
export function neighbourId(sb: Storyboard, id: string, delta: number): string | null {
  const all = flattenShots(sb);
  const i = all.findIndex((s) => s.id === id);
  if (i < 0) return all[0]?.id ?? null;
  const j = Math.min(all.length - 1, Math.max(0, i + delta));
  return all[j]!.id;
}

/**
 * The shot a merge of `id` absorbs: the next one in the same scene. Null at the end of a scene
 * (the server refuses to merge across scenes; the UI does not offer it).
 */
export function mergeTargetId(sb: Storyboard, id: string): string | null {
  const at = locate(sb.scenes, id);
  if (!at) return null;
  return sb.scenes[at.scene]!.shots[at.index + 1]?.id ?? null;
}

/**
 * Where shot `id` is now, as a move target that puts it back there later (undo of a move): after
 * the shot before it in its scene, else before the one after it. Null when it is alone in its scene
 * (a move joins its neighbour's scene, so it could not go back into that scene).
 */
export function placeOf(sb: Storyboard, id: string): MoveTarget | null {
  const at = locate(sb.scenes, id);
  if (!at) return null;
  const shots = sb.scenes[at.scene]!.shots;
  if (at.index > 0) return { after_id: shots[at.index - 1]!.id };
  if (shots.length > 1) return { before_id: shots[1]!.id };
  return null;
}
