/**
 * The storyboard's presentation state: the text/board view (kept in localStorage), the focused
 * card (roving tab stop, refocused after re-renders that re-parent cards), and the virtual rows
 * (only what is on screen is rendered above RENDER_ALL_UP_TO shots, issue 14 item 10).
 */
import { useCallback, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';
import type { AspectRatio, Shot, Storyboard } from '../../api/types';
import { columnsFor, layoutRows, withPinnedRows } from '../../lib/storyboardRows';

/** The text view is for writing; the board view shows each shot's keyframe large. */
export type StoryboardView = 'text' | 'board';
const VIEW_STORAGE_KEY = 'storyloom.storyboard.view';

function storedView(): StoryboardView {
  try {
    return window.localStorage.getItem(VIEW_STORAGE_KEY) === 'board' ? 'board' : 'text';
  } catch {
    return 'text';
  }
}

/** The chosen view, remembered across page loads. */
export function useStoryboardViewChoice(): [StoryboardView, (next: StoryboardView) => void] {
  const [view, setView] = useState<StoryboardView>(storedView);
  const choose = useCallback((next: StoryboardView) => {
    setView(next);
    try {
      window.localStorage.setItem(VIEW_STORAGE_KEY, next);
    } catch {
      // A private window without storage: the choice lasts until the page closes.
    }
  }, []);
  return [view, choose];
}

/** The narrowest card (px): text cards as in styles.css (`.sb-grid`); board cards by the frame's shape. */
function minCardWidth(view: StoryboardView, aspect: AspectRatio): number {
  if (view === 'text') return 250;
  return aspect === '9:16' ? 200 : aspect === '1:1' ? 260 : 340;
}
const GRID_GAP = 10;
/** Up to this many shots every row is rendered; above, only the rows on screen (issue 14, item 10). */
const RENDER_ALL_UP_TO = 300;

/**
 * The focused card. `focusId` is the roving tab stop; `want(id)` asks for the card to take the
 * keyboard focus after the next render (keyboard moves re-parent cards across scenes);
 * `set(id)` does both.
 */
export function useCardFocus() {
  const [focusId, setFocusId] = useState<string | null>(null);
  const cards = useRef(new Map<string, HTMLElement>());
  const wantFocus = useRef<string | null>(null);

  useLayoutEffect(() => {
    if (!wantFocus.current) return;
    const el = cards.current.get(wantFocus.current);
    if (el) {
      el.focus();
      wantFocus.current = null;
    }
  });

  const want = useCallback((id: string) => {
    wantFocus.current = id;
  }, []);
  const set = useCallback((id: string) => {
    setFocusId(id);
    wantFocus.current = id;
  }, []);
  const cardRef = useCallback((id: string, el: HTMLElement | null) => {
    if (el) cards.current.set(id, el);
    else cards.current.delete(id);
  }, []);
  return { focusId, setFocusId, want, set, cards, cardRef };
}

export type CardFocus = ReturnType<typeof useCardFocus>;

/**
 * The board's rows (scene headers and rows of cards, as many columns as fit) and the virtualizer
 * over them. The focused card's row and a dragged card's row stay mounted, so focus and drag
 * survive scrolling.
 */
export function useStoryboardRows({
  sb,
  shots,
  view,
  aspectRatio,
  pinned,
}: {
  sb: Storyboard | null;
  shots: Shot[];
  view: StoryboardView;
  aspectRatio: AspectRatio;
  /** Shots whose rows stay rendered (the focused one, the dragged one). */
  pinned: (string | null | undefined)[];
}) {
  const [listWidth, setListWidth] = useState(0);
  const [scrollMargin, setScrollMargin] = useState(0);
  const listRef = useRef<HTMLDivElement | null>(null);

  const ready = sb !== null;
  useLayoutEffect(() => {
    const el = listRef.current;
    if (!el) return;
    setListWidth(el.clientWidth);
    const ro = new ResizeObserver(() => setListWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, [ready]);

  const scrollElement = useCallback(
    (): HTMLElement | null =>
      listRef.current ? ((listRef.current.closest('.main') as HTMLElement | null) ?? (document.scrollingElement as HTMLElement | null)) : null,
    [],
  );

  // Where the list starts inside the scroll container (the toolbar above it can wrap).
  useLayoutEffect(() => {
    const el = listRef.current;
    const scroller = scrollElement();
    if (!el || !scroller) return;
    const margin = el.getBoundingClientRect().top - scroller.getBoundingClientRect().top + scroller.scrollTop;
    if (Math.abs(margin - scrollMargin) > 0.5) setScrollMargin(margin);
  });

  const columns = columnsFor(listWidth, minCardWidth(view, aspectRatio), GRID_GAP);
  const layout = useMemo(() => (sb ? layoutRows(sb, columns) : { rows: [], rowOf: new Map<string, number>() }), [sb, columns]);
  const pinnedRows = pinned.map((id) => (id ? layout.rowOf.get(id) : undefined));
  const [pinA, pinB] = pinnedRows;
  const rangeExtractor = useCallback((range: Range) => withPinnedRows(defaultRangeExtractor(range), [pinA, pinB]), [pinA, pinB]);
  const virtualizer = useVirtualizer({
    count: layout.rows.length,
    getScrollElement: scrollElement,
    estimateSize: (i) => (layout.rows[i]?.kind === 'scene' ? 48 : view === 'board' ? (aspectRatio === '9:16' ? 480 : 330) : 190),
    overscan: shots.length <= RENDER_ALL_UP_TO ? layout.rows.length : 3,
    scrollMargin,
    getItemKey: (i) => layout.rows[i]?.key ?? i,
    rangeExtractor,
  });
  return { listRef, columns, layout, virtualizer };
}
