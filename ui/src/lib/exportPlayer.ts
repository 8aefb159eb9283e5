/**
 * The export dialog's player: where each shot starts on the video's clock (so clicking a shot seeks
 * to it), which shot is on screen, and the preview's subtitle cues as WebVTT for a `<track>`.
 */

export interface TimedShot {
  id: string;
  number: number;
  /** Seconds from the start of the video. */
  start: number;
  /** Seconds. */
  duration: number;
  /** What the list says about the shot (its scene, its first line). */
  label: string;
}

export interface ShotLike {
  id: string;
  number: number;
  /** Seconds. */
  duration: number;
  scene_number?: number;
  description?: string;
  dialogue?: { character: string; text: string }[];
}

/** A short line for the shot list: the first line of dialogue, else the description. */
export function shotLabel(shot: ShotLike): string {
  const line = shot.dialogue?.[0];
  const text = line ? line.text : (shot.description ?? '');
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 60 ? `${one.slice(0, 59)}…` : one;
}

/**
 * Shots placed one after another, as the export places them: each starts on the frame where the
 * running total lands at `fps` (so a seek lands inside the shot, never on the previous one's last
 * frame). Shots without a positive length take no time.
 */
export function shotTimeline(shots: ShotLike[], fps = 30): TimedShot[] {
  let total = 0;
  const onFrame = (t: number) => Math.round(t * fps) / fps;
  return shots.map((s) => {
    const d = Number.isFinite(s.duration) && s.duration > 0 ? s.duration : 0;
    const start = onFrame(total);
    total += d;
    return { id: s.id, number: s.number, start, duration: onFrame(total) - start, label: shotLabel(s) };
  });
}

/** The shot on screen at `time` (the last one whose start is not after it), or null before any. */
export function shotAt(shots: TimedShot[], time: number): TimedShot | null {
  let found: TimedShot | null = null;
  for (const s of shots) {
    if (s.start <= time + 1e-6) found = s;
    else break;
  }
  return found;
}

/** Where to seek for a shot: a hair inside it, so the player shows its picture, not the cut before. */
export function seekTime(shot: TimedShot): number {
  return shot.start + Math.min(0.05, shot.duration / 2);
}

function vttTime(seconds: number): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

export interface Cue {
  start: number;
  end: number;
  text: string;
}

/** WebVTT for cues: one line each (a blank line would end the cue), `-->` kept out of the text. */
export function cuesToVtt(cues: Cue[]): string {
  const body = cues
    .filter((c) => c.end > c.start)
    .map((c, i) => {
      const text = c.text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter(Boolean)
        .join(' ')
        .replace(/-->/g, '→')
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;');
      return `${i + 1}\n${vttTime(c.start)} --> ${vttTime(c.end)}\n${text}\n`;
    })
    .join('\n');
  return `WEBVTT\n\n${body}`;
}
