/**
 * The reference-video screens' plain helpers: labels, times, the batch's address check and the
 * beat list's keys (api/summarize.ts has the calls and the stream).
 */
import type { BatchStatus, BeatKind, LostReason, Mode, Stage, TranscriptSource } from '../api/summarize';
import { MAX_BATCH_URLS } from '../api/summarize';
import { t, translatedRecord } from '../i18n';
import { isTypingTarget, type ShortcutEventLike } from './keyboard';

export const MODE_LABELS: Record<Mode, string> = translatedRecord({
  brief: 'summarize.mode.brief',
  detailed: 'summarize.mode.detailed',
  beats: 'summarize.mode.beats',
  mindmap: 'summarize.mode.mindmap',
});

export const BEAT_KIND_LABELS: Record<BeatKind, string> = translatedRecord({
  hook: 'summarize.beatKind.hook',
  setup: 'summarize.beatKind.setup',
  reversal: 'summarize.beatKind.reversal',
  cliffhanger: 'summarize.beatKind.cliffhanger',
});

export const STAGE_LABELS: Record<Stage, string> = translatedRecord({
  fetching: 'summarize.stage.fetching',
  probing: 'summarize.stage.probing',
  cached: 'summarize.stage.cached',
  subtitles: 'summarize.stage.subtitles',
  extracting_audio: 'summarize.stage.extracting_audio',
  transcribing: 'summarize.stage.transcribing',
  summarizing: 'summarize.stage.summarizing',
  saving: 'summarize.stage.saving',
});

export const SOURCE_LABELS: Record<TranscriptSource, string> = translatedRecord({
  embedded_subtitles: 'summarize.source.embedded_subtitles',
  sidecar_subtitles: 'summarize.source.sidecar_subtitles',
  asr: 'summarize.source.asr',
  manual: 'summarize.source.manual',
});

export const BATCH_STATUS_LABELS: Record<BatchStatus, string> = translatedRecord({
  pending: 'summarize.batch.status.pending',
  running: 'summarize.batch.status.running',
  completed: 'summarize.batch.status.completed',
  partial: 'summarize.batch.status.partial',
  failed: 'summarize.batch.status.failed',
});

/** The stage's label; a stage this UI does not know yet reads as the server's message. */
export function stageLabel(stage: string | null, message: string): string {
  if (stage && Object.hasOwn(STAGE_LABELS, stage)) return STAGE_LABELS[stage as Stage];
  return message;
}

/** Why the stream ended without its result, in words. */
export function lostMessage(reason: LostReason): string {
  switch (reason) {
    case 'nothing-left':
      return t('summarize.lost.nothingLeft');
    case 'gone':
      return t('summarize.lost.gone');
    default:
      return t('summarize.lost.dropped');
  }
}

/** Milliseconds as `mm:ss` (`h:mm:ss` from an hour on). */
export function formatClock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

/** A beat's span, `mm:ss–mm:ss`. */
export function formatSpan(startMs: number, endMs: number): string {
  return `${formatClock(startMs)}–${formatClock(endMs)}`;
}

export type BatchUrlCheck =
  | { ok: true; urls: string[] }
  | { ok: false; reason: 'empty' }
  | { ok: false; reason: 'too-many'; count: number }
  | { ok: false; reason: 'invalid'; line: number; url: string };

/**
 * The batch's addresses from the textarea, one a line (blank lines skipped), checked before
 * anything is sent: 1 to 20, each an http(s) address.
 */
export function checkBatchUrls(text: string): BatchUrlCheck {
  const lines = text.split(/\r\n|\r|\n/).map((l, i) => ({ url: l.trim(), line: i + 1 })).filter((l) => l.url);
  if (lines.length === 0) return { ok: false, reason: 'empty' };
  if (lines.length > MAX_BATCH_URLS) return { ok: false, reason: 'too-many', count: lines.length };
  for (const l of lines) {
    if (!isHttpUrl(l.url)) return { ok: false, reason: 'invalid', line: l.line, url: l.url };
  }
  return { ok: true, urls: lines.map((l) => l.url) };
}

/** The message for a refused batch (null when it may be sent). */
export function batchUrlMessage(check: BatchUrlCheck): string | null {
  if (check.ok) return null;
  switch (check.reason) {
    case 'empty':
      return t('summarize.batch.noUrls');
    case 'too-many':
      return t('summarize.batch.tooMany', { count: check.count, max: MAX_BATCH_URLS });
    default:
      return t('summarize.batch.invalidUrl', { line: check.line, url: check.url });
  }
}

export function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s.trim());
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.host !== '';
  } catch {
    return false;
  }
}

/**
 * j / k (and ↓ / ↑) in the beat list move to the next / previous beat, as the review queue's j / k
 * move between shots; not while typing in a field, not with a modifier.
 */
export function beatKeyCommand(e: ShortcutEventLike): 'next' | 'prev' | null {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return null;
  if (isTypingTarget(e.target)) return null;
  switch (e.key) {
    case 'j':
    case 'J':
    case 'ArrowDown':
      return 'next';
    case 'k':
    case 'K':
    case 'ArrowUp':
      return 'prev';
    default:
      return null;
  }
}

/** The index `cmd` moves to in a list of `count` (it stops at the ends). */
export function moveIndex(current: number, cmd: 'next' | 'prev', count: number): number {
  if (count <= 0) return -1;
  if (current < 0) return cmd === 'next' ? 0 : count - 1;
  return Math.min(count - 1, Math.max(0, current + (cmd === 'next' ? 1 : -1)));
}
