import { describe, expect, it } from 'vitest';
import type { ReviewDecision } from '../api/types';
import {
  commentKeyCommand,
  continueMode,
  initialReviewState,
  nextUndecided,
  reviewCounts,
  reviewKeyCommand,
  reviewReducer,
  visibleItems,
  withDecision,
  type ReviewEntry,
  type ReviewState,
} from './review';

const items = (...ds: (ReviewDecision | null)[]): ReviewEntry[] => ds.map((d, i) => ({ item_key: `s${i + 1}`, decision: d }));

function loaded(list: ReviewEntry[], over: Partial<ReviewState> = {}): ReviewState {
  return reviewReducer({ ...initialReviewState, ...over }, { type: 'load', items: list });
}

const key = (k: string, over: Record<string, unknown> = {}) => ({
  key: k,
  target: null,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...over,
});

describe('reviewReducer: load', () => {
  it('starts on the first undecided item', () => {
    expect(loaded(items('approve', null, null)).current).toBe('s2');
    expect(loaded(items('approve', 'reject')).current).toBe('s1');
    expect(loaded([]).current).toBeNull();
  });

  it('keeps the reviewer’s place on a reload', () => {
    const s = reviewReducer(loaded(items(null, null, null)), { type: 'select', key: 's3' });
    expect(reviewReducer(s, { type: 'load', items: items('approve', null, null) }).current).toBe('s3');
  });
});

describe('reviewReducer: decisions move on to the next undecided item', () => {
  it('skips decided items and wraps round', () => {
    const list = items(null, 'approve', null, null);
    let s = loaded(list);
    expect(s.current).toBe('s1');
    const after1 = withDecision(list.map((i) => ({ ...i, locked: false, comment: null })), 's1', 'approve');
    s = reviewReducer(s, { type: 'decided', items: after1, key: 's1' });
    expect(s.current).toBe('s3');
    s = reviewReducer(s, { type: 'select', key: 's4' });
    const after4 = withDecision(after1, 's4', 'reject', 'too dark');
    s = reviewReducer(s, { type: 'decided', items: after4, key: 's4' });
    expect(s.current).toBe('s3'); // wrapped round
    const after3 = withDecision(after4, 's3', 'approve');
    s = reviewReducer(s, { type: 'decided', items: after3, key: 's3' });
    expect(s.current).toBe('s3'); // nothing undecided left: stay
  });

  it('closes the comment box after the rejection', () => {
    let s = reviewReducer(loaded(items(null, null)), { type: 'comment' });
    expect(s.commenting).toBe(true);
    s = reviewReducer(s, { type: 'decided', items: items('reject', null), key: 's1' });
    expect(s).toMatchObject({ commenting: false, current: 's2' });
  });

  it('under the "undecided" filter, lands on the next one still shown', () => {
    let s = reviewReducer(loaded(items(null, null, null)), { type: 'filter', filter: 'undecided' });
    s = reviewReducer(s, { type: 'decided', items: items('approve', null, null), key: 's1' });
    expect(s.current).toBe('s2');
    s = reviewReducer(s, { type: 'decided', items: items('approve', 'approve', 'approve'), key: 's2' });
    expect(s.current).toBeNull(); // nothing left to show
  });
});

describe('reviewReducer: navigation, filter, comment, help', () => {
  it('next/prev stay within the filtered list and stop at the ends', () => {
    const list = items(null, 'approve', null, 'reject');
    let s = loaded(list);
    s = reviewReducer(s, { type: 'prev' });
    expect(s.current).toBe('s1');
    s = reviewReducer(s, { type: 'next' });
    expect(s.current).toBe('s2');
    s = reviewReducer(s, { type: 'filter', filter: 'undecided' });
    expect(s.current).toBe('s3'); // s2 is hidden now: the nearest after it
    s = reviewReducer(s, { type: 'next' });
    expect(s.current).toBe('s3');
    s = reviewReducer(s, { type: 'prev' });
    expect(s.current).toBe('s1');
  });

  it('select ignores unknown keys; comment needs a current item', () => {
    const s = loaded(items(null));
    expect(reviewReducer(s, { type: 'select', key: 'nope' })).toBe(s);
    expect(reviewReducer(loaded([]), { type: 'comment' }).commenting).toBe(false);
    const c = reviewReducer(s, { type: 'comment' });
    expect(reviewReducer(c, { type: 'cancel-comment' }).commenting).toBe(false);
    expect(reviewReducer(c, { type: 'next' }).commenting).toBe(false);
  });

  it('toggles the shortcut sheet', () => {
    let s = reviewReducer(initialReviewState, { type: 'toggle-help' });
    expect(s.help).toBe(true);
    s = reviewReducer(s, { type: 'close-help' });
    expect(s.help).toBe(false);
  });
});

describe('selectors', () => {
  it('counts, filters and decides what Continue does', () => {
    const list = items(null, 'approve', 'replace', 'reject', 'select');
    expect(reviewCounts(list)).toEqual({ all: 5, undecided: 1, approved: 3, rejected: 1 });
    expect(visibleItems(list, 'approved').map((i) => i.item_key)).toEqual(['s2', 's3', 's5']);
    expect(continueMode(list)).toBe('blocked');
    expect(continueMode(items(null, 'approve'))).toBe('confirm');
    expect(continueMode(items('approve', 'approve'))).toBe('ready');
    // A rejection without an approved replacement shuts the gate, and so does an undecided redraw.
    expect(continueMode(items('approve', 'reject'))).toBe('blocked');
    expect(continueMode([{ item_key: 'a', decision: null, redrawn_after: { comment: 'x' } }])).toBe('blocked');
    expect(continueMode([{ item_key: 'a', decision: 'approve', redrawn_after: { comment: 'x' } }])).toBe('ready');
    expect(continueMode([])).toBe('empty');
    expect(nextUndecided(list, 's4', 'all')).toBe('s1');
    expect(nextUndecided(items('approve'), null, 'all')).toBeNull();
  });

  it('withDecision: approve locks, reject and unlock unlock', () => {
    const base = [{ item_key: 'a', decision: null, locked: false, comment: null }];
    expect(withDecision(base, 'a', 'approve')[0]).toMatchObject({ decision: 'approve', locked: true });
    expect(withDecision(base, 'a', 'reject', ' 更暗 ')[0]).toMatchObject({ decision: 'reject', locked: false, comment: '更暗' });
    const locked = withDecision(base, 'a', 'approve');
    expect(withDecision(locked, 'a', 'unlock')[0]).toMatchObject({ decision: null, locked: false });
  });
});

describe('reviewKeyCommand', () => {
  it('maps the review keys', () => {
    expect(reviewKeyCommand(key('a'))).toBe('approve');
    expect(reviewKeyCommand(key('A', { shiftKey: true }))).toBe('approve');
    expect(reviewKeyCommand(key('r'))).toBe('reject');
    expect(reviewKeyCommand(key('j'))).toBe('next');
    expect(reviewKeyCommand(key('ArrowRight'))).toBe('next');
    expect(reviewKeyCommand(key('k'))).toBe('prev');
    expect(reviewKeyCommand(key('ArrowLeft'))).toBe('prev');
    expect(reviewKeyCommand(key('u'))).toBe('unlock');
    expect(reviewKeyCommand(key('?', { shiftKey: true }))).toBe('help');
    expect(reviewKeyCommand(key('Escape'))).toBe('escape');
    expect(reviewKeyCommand(key('x'))).toBeNull();
  });

  it('leaves modified keys, typing, held-down decisions and handled events alone', () => {
    expect(reviewKeyCommand(key('a', { ctrlKey: true }))).toBeNull();
    expect(reviewKeyCommand(key('r', { metaKey: true }))).toBeNull();
    expect(reviewKeyCommand(key('ArrowLeft', { altKey: true }))).toBeNull();
    expect(reviewKeyCommand(key('ArrowRight', { shiftKey: true }))).toBeNull();
    expect(reviewKeyCommand(key('a', { repeat: true }))).toBeNull();
    expect(reviewKeyCommand(key('j', { repeat: true }))).toBe('next');
    expect(reviewKeyCommand(key('a', { defaultPrevented: true }))).toBeNull();
    expect(reviewKeyCommand(key('a', { target: { tagName: 'TEXTAREA' } }))).toBeNull();
    expect(reviewKeyCommand(key('j', { target: { tagName: 'INPUT', type: 'text' } }))).toBeNull();
    expect(reviewKeyCommand(key('a', { target: { tagName: 'BUTTON' } }))).toBe('approve');
  });
});

describe('commentKeyCommand', () => {
  it('Enter submits, Shift+Enter is a new line, Esc cancels, IME composition is left alone', () => {
    expect(commentKeyCommand(key('Enter'))).toBe('submit');
    expect(commentKeyCommand(key('Enter', { shiftKey: true }))).toBeNull();
    expect(commentKeyCommand(key('Enter', { ctrlKey: true }))).toBeNull();
    expect(commentKeyCommand(key('Escape'))).toBe('cancel');
    expect(commentKeyCommand(key('Enter', { isComposing: true }))).toBeNull();
    expect(commentKeyCommand(key('a'))).toBeNull();
  });
});
