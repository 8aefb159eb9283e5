/**
 * The review queue's state machine (pure): which item is shown, the status filter, the comment
 * mode of a rejection and the shortcut sheet, plus the key → command mapping.
 *
 * Keys: A approve · R reject (opens the comment box; Enter there submits) · J/→ next ·
 * K/← previous · U unlock · Z zoom (whole frame / 100%) · ? shortcuts · Esc closes the comment box / the sheet.
 */
import type { ReviewDecision } from '../api/types';
import { isTypingTarget, type ShortcutEventLike } from './keyboard';

export const REVIEW_FILTERS = ['all', 'undecided', 'approved', 'rejected'] as const;
export type ReviewFilter = (typeof REVIEW_FILTERS)[number];

/** The minimum the state machine needs of a review item. */
export interface ReviewEntry {
  item_key: string;
  decision?: ReviewDecision | null;
  /** Set when this frame is a redraw answering a rejection. */
  redrawn_after?: unknown;
  redraw?: { status: 'running' | 'failed' } | null;
}

/** A rejection without an approved replacement: the frame is rejected, or a redraw is undecided. */
export function isUnresolved(i: ReviewEntry): boolean {
  return i.decision === 'reject' || (i.decision == null && !!i.redrawn_after);
}

export function isRedrawing(i: ReviewEntry): boolean {
  return i.redraw?.status === 'running';
}

export interface ReviewState {
  items: ReviewEntry[];
  filter: ReviewFilter;
  /** The item shown in the large frame (null when the filter shows nothing). */
  current: string | null;
  /** The comment box is open for a rejection of `current`. */
  commenting: boolean;
  help: boolean;
}

export type ReviewAction =
  | { type: 'load'; items: ReviewEntry[] }
  /** The server's queue after a decision on `key`: move on to the next undecided item. */
  | { type: 'decided'; items: ReviewEntry[]; key: string }
  | { type: 'next' }
  | { type: 'prev' }
  | { type: 'select'; key: string }
  | { type: 'filter'; filter: ReviewFilter }
  | { type: 'comment' }
  | { type: 'cancel-comment' }
  | { type: 'toggle-help' }
  | { type: 'close-help' };

export const initialReviewState: ReviewState = {
  items: [],
  filter: 'all',
  current: null,
  commenting: false,
  help: false,
};

/** Approved, replaced and selected keyframes count as approved; a rejection as rejected. */
export function decisionGroup(d: ReviewDecision | null | undefined): Exclude<ReviewFilter, 'all'> {
  if (d == null) return 'undecided';
  return d === 'reject' ? 'rejected' : 'approved';
}

export function matchesFilter(item: ReviewEntry, filter: ReviewFilter): boolean {
  return filter === 'all' || decisionGroup(item.decision) === filter;
}

export function visibleItems<T extends ReviewEntry>(items: readonly T[], filter: ReviewFilter): T[] {
  return items.filter((i) => matchesFilter(i, filter));
}

export function reviewCounts(items: readonly ReviewEntry[]): Record<ReviewFilter, number> {
  const c = { all: items.length, undecided: 0, approved: 0, rejected: 0 };
  for (const i of items) c[decisionGroup(i.decision)] += 1;
  return c;
}

/**
 * What "Continue" does: go straight on, ask first (some undecided), explain why the gate is shut
 * (a rejection has no approved replacement yet), or nothing to continue.
 */
export function continueMode(items: readonly ReviewEntry[]): 'ready' | 'confirm' | 'blocked' | 'empty' {
  if (items.length === 0) return 'empty';
  if (items.some(isUnresolved)) return 'blocked';
  return items.some((i) => i.decision == null) ? 'confirm' : 'ready';
}

/**
 * The first undecided item after `key` in queue order (wrapping round), among those the filter
 * shows; null when none is left.
 */
export function nextUndecided(items: readonly ReviewEntry[], key: string | null, filter: ReviewFilter): string | null {
  const shown = visibleItems(items, filter);
  if (!shown.length) return null;
  const from = key === null ? -1 : items.findIndex((i) => i.item_key === key);
  for (let step = 1; step <= items.length; step++) {
    const i = items[(from + step + items.length) % items.length]!;
    if (i.decision == null && matchesFilter(i, filter)) return i.item_key;
  }
  return null;
}

/** `current` if the filter still shows it, else the nearest shown item after it (or before). */
function keepOrNearest(items: readonly ReviewEntry[], current: string | null, filter: ReviewFilter): string | null {
  const shown = visibleItems(items, filter);
  if (!shown.length) return null;
  if (current !== null && shown.some((i) => i.item_key === current)) return current;
  const at = current === null ? -1 : items.findIndex((i) => i.item_key === current);
  if (at >= 0) {
    for (let i = at + 1; i < items.length; i++) if (matchesFilter(items[i]!, filter)) return items[i]!.item_key;
    for (let i = at - 1; i >= 0; i--) if (matchesFilter(items[i]!, filter)) return items[i]!.item_key;
  }
  return shown[0]!.item_key;
}

function step(state: ReviewState, delta: 1 | -1): ReviewState {
  const shown = visibleItems(state.items, state.filter);
  if (!shown.length) return state;
  const at = shown.findIndex((i) => i.item_key === state.current);
  const next = at === -1 ? 0 : Math.min(shown.length - 1, Math.max(0, at + delta));
  const key = shown[next]!.item_key;
  return key === state.current && !state.commenting ? state : { ...state, current: key, commenting: false };
}

export function reviewReducer(state: ReviewState, action: ReviewAction): ReviewState {
  switch (action.type) {
    case 'load': {
      // First load: start on the first undecided item; afterwards keep the reviewer's place.
      const current =
        state.current === null
          ? (nextUndecided(action.items, null, state.filter) ?? keepOrNearest(action.items, null, state.filter))
          : keepOrNearest(action.items, state.current, state.filter);
      return { ...state, items: action.items, current, commenting: state.commenting && current === state.current };
    }
    case 'decided': {
      const next = nextUndecided(action.items, action.key, state.filter);
      const current = next ?? keepOrNearest(action.items, action.key, state.filter);
      return { ...state, items: action.items, current, commenting: false };
    }
    case 'next':
      return step(state, 1);
    case 'prev':
      return step(state, -1);
    case 'select':
      if (!state.items.some((i) => i.item_key === action.key)) return state;
      return { ...state, current: action.key, commenting: state.commenting && action.key === state.current };
    case 'filter': {
      if (action.filter === state.filter) return state;
      return { ...state, filter: action.filter, current: keepOrNearest(state.items, state.current, action.filter), commenting: false };
    }
    case 'comment':
      return state.current === null ? state : { ...state, commenting: true, help: false };
    case 'cancel-comment':
      return state.commenting ? { ...state, commenting: false } : state;
    case 'toggle-help':
      return { ...state, help: !state.help };
    case 'close-help':
      return state.help ? { ...state, help: false } : state;
    default:
      return state;
  }
}

export type ReviewCommand = 'approve' | 'reject' | 'next' | 'prev' | 'unlock' | 'zoom' | 'help' | 'escape';

/**
 * The command of a key pressed anywhere on the review page, or null. Keys typed into a field
 * (the comment box, the filter select) are the field's; modified keys are the browser's.
 */
export function reviewKeyCommand(e: ShortcutEventLike): ReviewCommand | null {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return null;
  if (e.key === 'Escape') return 'escape';
  if (isTypingTarget(e.target)) return null;
  if (e.key === '?') return 'help';
  if (e.shiftKey && e.key.length > 1) return null; // Shift+arrows: selection, not navigation
  switch (e.key) {
    case 'a':
    case 'A':
      return e.repeat ? null : 'approve';
    case 'r':
    case 'R':
      return e.repeat ? null : 'reject';
    case 'u':
    case 'U':
      return e.repeat ? null : 'unlock';
    case 'z':
    case 'Z':
      return e.repeat ? null : 'zoom';
    case 'j':
    case 'J':
    case 'ArrowRight':
      return 'next';
    case 'k':
    case 'K':
    case 'ArrowLeft':
      return 'prev';
    default:
      return null;
  }
}

/** In the comment box: Enter submits the rejection, Shift+Enter is a new line, Esc cancels. */
export function commentKeyCommand(e: ShortcutEventLike & { isComposing?: boolean }): 'submit' | 'cancel' | null {
  if (e.isComposing) return null; // an IME (e.g. pinyin) is still composing: Enter picks the candidate
  if (e.key === 'Escape') return 'cancel';
  if (e.key === 'Enter' && !e.shiftKey && !e.ctrlKey && !e.metaKey && !e.altKey) return 'submit';
  return null;
}

/** What a review item looks like right after a decision, before the server answers. */
export function withDecision<T extends ReviewEntry & { locked: boolean; comment?: string | null }>(
  items: readonly T[],
  key: string,
  decision: 'approve' | 'reject' | 'unlock',
  comment = '',
): T[] {
  return items.map((i) => {
    if (i.item_key !== key) return i;
    const c = comment.trim();
    if (decision === 'unlock') return { ...i, decision: null, locked: false, comment: null };
    if (decision === 'approve') return { ...i, decision: 'approve', locked: true, comment: c || null };
    // The server starts redrawing the shot at once.
    return { ...i, decision: 'reject', locked: false, comment: c || null, redraw: { status: 'running', error: null } };
  });
}
