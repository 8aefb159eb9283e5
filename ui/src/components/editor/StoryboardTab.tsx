import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';
import {
  deleteShot,
  getShot,
  getStoryboard,
  mergeShots,
  moveShot,
  restoreShot,
  revertShot,
  sameShotState,
  shotState,
  splitShot,
  updateShot,
} from '../../api/storyboard';
import {
  CAMERA_MOVES,
  SHOT_TYPES,
  type AspectRatio,
  type CameraMove,
  type Shot,
  type ShotPatch,
  type ShotType,
  type Storyboard,
} from '../../api/types';
import { Trans, i18n, t as translate, useT } from '../../i18n';
import { cameraMoveLabel, shotTypeLabel } from '../../lib/editorLabels';
import { formatCount, formatDuration } from '../../lib/format';
import { cardKeyAction } from '../../lib/keyboard';
import {
  flattenShots,
  mergeTargetId,
  neighbourId,
  placeOf,
  planDrop,
  planStep,
  withoutShot,
  withShot,
  type DropPosition,
  type MovePlan,
} from '../../lib/storyboardOrder';
import { columnsFor, layoutRows, withPinnedRows } from '../../lib/storyboardRows';
import { historyKey, UndoStack, type UndoEntry, type UndoOutcome } from '../../lib/undo';
import { createOpQueue, optimistic, type OpQueue } from '../../lib/optimistic';
import { apiUrl, errorMessage } from '../../transport';
import { AlertIcon, GripIcon, MergeIcon, PencilIcon, SplitIcon, TrashIcon } from '../Icons';
import { useToasts } from '../Toasts';

type Load = { kind: 'loading' } | { kind: 'ready' } | { kind: 'error'; message: string };

interface DragState {
  id: string;
  overId: string | null;
  position: DropPosition;
}

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

/** The narrowest card (px): text cards as in styles.css (`.sb-grid`); board cards by the frame's shape. */
function minCardWidth(view: StoryboardView, aspect: AspectRatio): number {
  if (view === 'text') return 250;
  return aspect === '9:16' ? 200 : aspect === '1:1' ? 260 : 340;
}
const GRID_GAP = 10;
/** Up to this many shots every row is rendered; above, only the rows on screen (issue 14, item 10). */
const RENDER_ALL_UP_TO = 300;

/** An undoable storyboard edit, and the shot to focus after it is undone or redone. */
interface BoardEntry extends UndoEntry {
  focus: string;
}

export function StoryboardTab({
  projectId,
  versionId,
  aspectRatio = '16:9',
}: {
  projectId: string;
  versionId: string;
  /** The project's frame shape: the board view's frames have it. */
  aspectRatio?: AspectRatio;
}) {
  const t = useT();
  const toasts = useToasts();
  const [load, setLoad] = useState<Load>({ kind: 'loading' });
  const [sb, setSb] = useState<Storyboard | null>(null);
  const [reloadKey, setReloadKey] = useState(0);
  const [focusId, setFocusId] = useState<string | null>(null);
  const [editingId, setEditingId] = useState<string | null>(null);
  const [drag, setDrag] = useState<DragState | null>(null);
  const [announce, setAnnounce] = useState('');
  const [busyId, setBusyId] = useState<string | null>(null);
  const [view, setView] = useState<StoryboardView>(storedView);
  const [listWidth, setListWidth] = useState(0);
  const [scrollMargin, setScrollMargin] = useState(0);
  const sbRef = useRef<Storyboard | null>(null);
  sbRef.current = sb;
  const cards = useRef(new Map<string, HTMLElement>());
  const listRef = useRef<HTMLDivElement | null>(null);
  /** A card to focus after the next render (keyboard moves re-parent cards across scenes). */
  const wantFocus = useRef<string | null>(null);
  /** Moves and edits go to the server one at a time, in order. */
  const queue = useRef<OpQueue>(createOpQueue());
  /** Delete, split, merge and edit can be undone (Ctrl+Z) and redone (Ctrl+Shift+Z). */
  const history = useRef(new UndoStack());

  const reload = useCallback(() => setReloadKey((k) => k + 1), []);

  useEffect(() => {
    const ctrl = new AbortController();
    getStoryboard(projectId, versionId, ctrl.signal)
      .then((data) => {
        setSb(data);
        setLoad({ kind: 'ready' });
      })
      .catch((e: unknown) => {
        if (ctrl.signal.aborted) return;
        if (sbRef.current) toasts.show({ kind: 'error', message: errorMessage(e) });
        else setLoad({ kind: 'error', message: errorMessage(e) });
      });
    return () => ctrl.abort();
  }, [projectId, versionId, reloadKey, toasts]);

  useLayoutEffect(() => {
    if (!wantFocus.current) return;
    const el = cards.current.get(wantFocus.current);
    if (el) {
      el.focus();
      wantFocus.current = null;
    }
  });

  /* ---------- virtual rows: only what is on screen is rendered ---------- */

  const ready = load.kind === 'ready' && sb !== null;
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

  const shots = useMemo(() => (sb ? flattenShots(sb) : []), [sb]);
  const activeFocus = focusId && shots.some((s) => s.id === focusId) ? focusId : (shots[0]?.id ?? null);
  const columns = columnsFor(listWidth, minCardWidth(view, aspectRatio), GRID_GAP);
  const layout = useMemo(() => (sb ? layoutRows(sb, columns) : { rows: [], rowOf: new Map<string, number>() }), [sb, columns]);
  // The focused card and a dragged card stay mounted, so focus and drag survive scrolling.
  const focusRow = activeFocus ? layout.rowOf.get(activeFocus) : undefined;
  const dragRow = drag ? layout.rowOf.get(drag.id) : undefined;
  const rangeExtractor = useCallback(
    (range: Range) => withPinnedRows(defaultRangeExtractor(range), [focusRow, dragRow]),
    [focusRow, dragRow],
  );
  const virtualizer = useVirtualizer({
    count: layout.rows.length,
    getScrollElement: scrollElement,
    estimateSize: (i) => (layout.rows[i]?.kind === 'scene' ? 48 : view === 'board' ? (aspectRatio === '9:16' ? 480 : 330) : 190),
    overscan: shots.length <= RENDER_ALL_UP_TO ? layout.rows.length : 3,
    scrollMargin,
    getItemKey: (i) => layout.rows[i]?.key ?? i,
    rangeExtractor,
  });

  function chooseView(next: StoryboardView) {
    setView(next);
    try {
      window.localStorage.setItem(VIEW_STORAGE_KEY, next);
    } catch {
      // A private window without storage: the choice lasts until the page closes.
    }
  }

  /* ---------- undo / redo ---------- */

  /** Keeps `entry` for Ctrl+Z and says what happened, with an Undo button. */
  function record(entry: BoardEntry, testId: string) {
    history.current.push(entry);
    toasts.show({
      kind: 'info',
      message: entry.label,
      duration: 10_000,
      action: { label: t('common.undo'), testId, onClick: () => void runHistory('undo', () => history.current.undoEntry(entry)) },
    });
  }

  async function runHistory(verb: 'undo' | 'redo', step: () => Promise<UndoOutcome>) {
    const r = await queue.current.run(step);
    if (r.kind === 'none') return;
    if (r.kind === 'failed') {
      toasts.show({
        kind: 'error',
        message: t(verb === 'undo' ? 'storyboard.undoFailed' : 'storyboard.redoFailed', { label: r.entry.label, error: errorMessage(r.error) }),
      });
    } else {
      toasts.show({
        kind: 'success',
        message: t(verb === 'undo' ? 'storyboard.undone' : 'storyboard.redone', { label: r.entry.label }),
        action:
          verb === 'undo'
            ? { label: t('storyboard.redo'), testId: 'redo-storyboard', onClick: () => void runHistory('redo', () => history.current.redo()) }
            : undefined,
      });
      const focus = (r.entry as BoardEntry).focus;
      wantFocus.current = focus;
      setFocusId(focus);
    }
    reload();
  }

  const runHistoryRef = useRef(runHistory);
  runHistoryRef.current = runHistory;
  useEffect(() => {
    function onKeyDown(e: globalThis.KeyboardEvent) {
      const key = historyKey(e);
      if (!key) return;
      e.preventDefault();
      void runHistoryRef.current(key, () => (key === 'undo' ? history.current.undo() : history.current.redo()));
    }
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, []);

  /** Shows `next` now and queues `op`; on failure puts back `before` and re-reads the server. */
  function change<T>(before: Storyboard, next: Storyboard, op: () => Promise<T>, onOk?: (r: T) => void) {
    void optimistic({
      queue: queue.current,
      before,
      next,
      set: setSb,
      op,
      onOk,
      onError: (e) => {
        toasts.show({ kind: 'error', message: errorMessage(e) });
        reload();
      },
    });
  }

  function applyMove(id: string, plan: MovePlan, how: 'keys' | 'drag') {
    if (!sb) return;
    const from = flattenShots(sb).find((s) => s.id === id);
    const moved = flattenShots(plan.storyboard).find((s) => s.id === id);
    const back = placeOf(sb, id);
    setAnnounce(moved ? t(how === 'drag' ? 'storyboard.announceDragged' : 'storyboard.announceMoved', { number: moved.number }) : '');
    change(sb, plan.storyboard, () => moveShot(id, plan.target), () => {
      // Moves go in the history without a toast (Alt+arrows make many).
      const entry: BoardEntry = {
        label: t('storyboard.history.moved', { from: from?.number ?? '', to: moved?.number ?? '' }),
        focus: id,
        undo: async () => {
          if (!back) throw new Error(translate('storyboard.onlyShotOfScene'));
          await moveShot(id, back);
        },
        redo: async () => void (await moveShot(id, plan.target)),
      };
      history.current.push(entry);
    });
  }

  function focusCard(id: string | null) {
    if (!id) return;
    setFocusId(id);
    wantFocus.current = id;
    const el = cards.current.get(id);
    if (el) el.focus();
    else {
      const row = layout.rowOf.get(id);
      if (row !== undefined) virtualizer.scrollToIndex(row, { align: 'auto' });
    }
  }

  function onCardKeyDown(e: KeyboardEvent<HTMLElement>, shot: Shot) {
    if (e.target !== e.currentTarget || !sb) return; // keys inside the edit form are the form's
    const action = cardKeyAction(e);
    if (!action) return;
    e.preventDefault();
    switch (action) {
      case 'move-up':
      case 'move-down': {
        const plan = planStep(sb, shot.id, action === 'move-up' ? -1 : 1);
        if (plan) {
          wantFocus.current = shot.id;
          applyMove(shot.id, plan, 'keys');
        }
        break;
      }
      case 'prev':
      case 'next':
        focusCard(neighbourId(sb, shot.id, action === 'prev' ? -1 : 1));
        break;
      case 'first':
        focusCard(shots[0]?.id ?? null);
        break;
      case 'last':
        focusCard(shots[shots.length - 1]?.id ?? null);
        break;
      case 'edit':
        setEditingId(shot.id);
        break;
      case 'delete':
        trash(shot);
        break;
    }
  }

  function trash(shot: Shot) {
    if (!sb) return;
    const after = neighbourId(sb, shot.id, 1);
    const focusAfter = after === shot.id ? neighbourId(sb, shot.id, -1) : after;
    if (focusAfter && focusAfter !== shot.id) {
      setFocusId(focusAfter);
      wantFocus.current = focusAfter;
    }
    change(sb, withoutShot(sb, shot.id), () => deleteShot(shot.id, projectId), () => {
      record(
        {
          label: t('storyboard.history.deleted', { number: shot.number }),
          focus: shot.id,
          // The trashed shot kept its id and order key: restoring puts it back where it was.
          undo: async () => void (await restoreShot(shot.id)),
          redo: async () => void (await deleteShot(shot.id, projectId)),
        },
        'undo-delete-shot',
      );
    });
  }

  function saveEdit(shot: Shot, patch: ShotPatch) {
    if (!sb) return;
    setEditingId(null);
    wantFocus.current = shot.id;
    if (Object.keys(patch).length === 0) return;
    const shown: Shot = {
      ...shot,
      ...patch,
      shot_type: patch.shot_type === undefined ? shot.shot_type : patch.shot_type || null,
      camera_move: patch.camera_move === undefined ? shot.camera_move : patch.camera_move || null,
      dialogue: patch.dialogue ?? shot.dialogue,
      edited: true,
    };
    change(sb, withShot(sb, shown), () => updateShot(shot.id, patch), (updated) => {
      setSb((cur) => (cur ? withShot(cur, updated) : cur));
      let seen = updated;
      record(
        {
          label: t('storyboard.history.edited', { number: shot.number }),
          focus: shot.id,
          undo: async () => {
            seen = await revertShot(shot.id, { expected: shotState(seen), state: shotState(shot) });
          },
          redo: async () => {
            seen = await revertShot(shot.id, { expected: shotState(seen), state: shotState(updated) });
          },
        },
        'undo-edit-shot',
      );
    });
  }

  /**
   * Refuses (throws) when shot `id` changed since it was `seen`: an undo or redo that moves it to
   * the trash must not hide an edit it does not know about. A shot already gone is fine.
   */
  async function unchangedSince(id: string, seen: Shot) {
    let now: Shot;
    try {
      now = await getShot(id);
    } catch (e) {
      if ((e as { isNotFound?: boolean }).isNotFound) return;
      throw e;
    }
    if (!sameShotState(now, seen)) throw new Error(translate('storyboard.editedSince', { number: now.number }));
  }

  async function structural(shot: Shot, op: 'split' | 'merge') {
    const next = op === 'merge' && sb ? mergeTargetId(sb, shot.id) : null;
    if (op === 'merge' && !next) return; // the last shot of a scene: nothing to merge with
    setBusyId(shot.id);
    try {
      await queue.current.idle();
      // The shot exactly as the server holds it, for undo.
      const before = await getShot(shot.id);
      if (op === 'split') {
        const [first, made] = await splitShot(shot.id);
        let seen = first;
        record(
          {
            label: t('storyboard.history.split', { number: before.number }),
            focus: shot.id,
            undo: async () => {
              await unchangedSince(made.id, made);
              seen = await revertShot(shot.id, { expected: shotState(seen), state: shotState(before), trash_ids: [made.id] });
            },
            redo: async () => {
              seen = await revertShot(shot.id, { expected: shotState(seen), state: shotState(first), restore_ids: [made.id] });
            },
          },
          'undo-split-shot',
        );
      } else {
        const absorbed = await getShot(next!);
        const merged = await mergeShots(shot.id, next!);
        let seen = merged;
        record(
          {
            label: t('storyboard.history.merged', { next: before.number + 1, number: before.number }),
            focus: shot.id,
            undo: async () => {
              seen = await revertShot(shot.id, { expected: shotState(seen), state: shotState(before), restore_ids: [next!] });
            },
            redo: async () => {
              await unchangedSince(next!, absorbed);
              seen = await revertShot(shot.id, { expected: shotState(seen), state: shotState(merged), trash_ids: [next!] });
            },
          },
          'undo-merge-shot',
        );
      }
      wantFocus.current = shot.id;
      reload();
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
      reload();
    } finally {
      setBusyId(null);
    }
  }

  /* ---------- drag and drop ---------- */

  function dropPosition(e: DragEvent<HTMLElement>): DropPosition {
    const r = e.currentTarget.getBoundingClientRect();
    return e.clientX < r.left + r.width / 2 ? 'before' : 'after';
  }

  function onDragStart(e: DragEvent<HTMLElement>, shot: Shot) {
    e.dataTransfer.effectAllowed = 'move';
    e.dataTransfer.setData('text/plain', shot.id);
    setDrag({ id: shot.id, overId: null, position: 'after' });
  }

  function onDragOver(e: DragEvent<HTMLElement>, shot: Shot) {
    if (!drag) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
    const position = dropPosition(e);
    if (drag.overId !== shot.id || drag.position !== position) setDrag({ ...drag, overId: shot.id, position });
  }

  function onDrop(e: DragEvent<HTMLElement>, shot: Shot) {
    e.preventDefault();
    const id = drag?.id ?? e.dataTransfer.getData('text/plain');
    const position = dropPosition(e);
    setDrag(null);
    if (!sb || !id) return;
    const plan = planDrop(sb, id, shot.id, position);
    if (plan) {
      setFocusId(id);
      applyMove(id, plan, 'drag');
    }
  }

  if (load.kind === 'loading') {
    return <div className="storyboard-loading" data-testid="storyboard-loading"><span className="spinner" role="status" aria-label={t('storyboard.loading')} /></div>;
  }
  if (load.kind === 'error' || !sb) {
    return (
      <section className="panel">
        <div className="load-error" role="alert" data-testid="storyboard-error">
          <AlertIcon size={22} />
          <div>
            <h2>{t('storyboard.loadError')}</h2>
            <p>{load.kind === 'error' ? load.message : ''}</p>
          </div>
          <button type="button" className="button secondary" onClick={reload}>
            {t('common.tryAgain')}
          </button>
        </div>
      </section>
    );
  }

  const renderCard = (shot: Shot, mergeWith: string | null) => (
    <ShotCard
      key={shot.id}
      shot={shot}
      view={view}
      aspectRatio={aspectRatio}
      focused={shot.id === activeFocus}
      editing={editingId === shot.id}
      busy={busyId === shot.id}
      canMerge={mergeWith !== null}
      dropMark={drag && drag.overId === shot.id && drag.id !== shot.id ? drag.position : null}
      dragging={drag?.id === shot.id}
      refCallback={(el) => {
        if (el) cards.current.set(shot.id, el);
        else cards.current.delete(shot.id);
      }}
      onFocus={() => setFocusId(shot.id)}
      onKeyDown={(e) => onCardKeyDown(e, shot)}
      onEdit={() => setEditingId(shot.id)}
      onCancelEdit={() => {
        setEditingId(null);
        wantFocus.current = shot.id;
      }}
      onSave={(patch) => saveEdit(shot, patch)}
      onDelete={() => trash(shot)}
      onSplit={() => void structural(shot, 'split')}
      onMerge={() => void structural(shot, 'merge')}
      onDragStart={(e) => onDragStart(e, shot)}
      onDragOver={(e) => onDragOver(e, shot)}
      onDragLeave={() => setDrag((d) => (d && d.overId === shot.id ? { ...d, overId: null } : d))}
      onDrop={(e) => onDrop(e, shot)}
      onDragEnd={() => setDrag(null)}
    />
  );

  return (
    <div className="storyboard" data-testid="storyboard" data-view={view}>
      <div className="toolbar storyboard-toolbar">
        <p className="storyboard-summary" data-testid="storyboard-summary">
          {formatCount('scene', sb.scenes.length)} · {formatCount('shot', shots.length)} · {formatDuration(sb.total_duration)}
        </p>
        <div className="segmented" role="group" aria-label={t('storyboard.view')}>
          {(['text', 'board'] as const).map((v) => (
            <button
              key={v}
              type="button"
              className={`segment${view === v ? ' active' : ''}`}
              aria-pressed={view === v}
              data-testid={`storyboard-view-${v}`}
              title={v === 'text' ? t('storyboard.viewTextTitle') : t('storyboard.viewBoardTitle')}
              onClick={() => chooseView(v)}
            >
              {v === 'text' ? t('storyboard.viewText') : t('storyboard.viewBoard')}
            </button>
          ))}
        </div>
        <p className="toolbar-hint" id="storyboard-help">
          <Trans i18n={i18n} t={t} i18nKey="storyboard.help" components={{ kbd: <kbd /> }} />
        </p>
      </div>
      <p className="sr-only" aria-live="polite" data-testid="storyboard-announce">
        {announce}
      </p>
      {shots.length === 0 && (
        <div className="empty-state" data-testid="storyboard-empty">
          <h2>{t('storyboard.empty')}</h2>
          <p>{t('storyboard.emptyBody')}</p>
        </div>
      )}
      <div
        ref={listRef}
        className="sb-list"
        data-testid="storyboard-list"
        data-rows={layout.rows.length}
        style={{ height: virtualizer.getTotalSize(), position: 'relative' }}
      >
        {virtualizer.getVirtualItems().map((item) => {
          const row = layout.rows[item.index];
          if (!row) return null;
          const scene = row.scene;
          return (
            <div
              key={item.key}
              ref={virtualizer.measureElement}
              data-index={item.index}
              className={`sb-row sb-row-${row.kind}`}
              style={{ transform: `translateY(${item.start - virtualizer.options.scrollMargin}px)` }}
            >
              {row.kind === 'scene' ? (
                <header className="sb-scene-header" data-testid="storyboard-scene" data-scene-id={scene.id}>
                  <h3 id={`scene-h-${scene.id}`}>
                    <span className="sb-scene-number">{scene.number}</span>
                    {scene.episode != null && <span className="bd-episode">{t('breakdown.episodeMark', { number: scene.episode })}</span>}
                    <span data-testid="storyboard-scene-heading">{scene.heading ?? t('storyboard.sceneFallback', { number: scene.number })}</span>
                  </h3>
                  <span className="sb-scene-meta">
                    {formatCount('shot', scene.shots.length)} · {formatDuration(scene.duration)}
                  </span>
                </header>
              ) : (
                <ol
                  className="sb-grid"
                  aria-describedby="storyboard-help"
                  aria-labelledby={`scene-h-${scene.id}`}
                  style={{ gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))` }}
                >
                  {row.shots.map((shot, k) => renderCard(shot, scene.shots[row.start + k + 1]?.id ?? null))}
                </ol>
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}

interface CardProps {
  shot: Shot;
  view: StoryboardView;
  aspectRatio: AspectRatio;
  focused: boolean;
  editing: boolean;
  busy: boolean;
  /** False at the end of a scene: the next shot opens another scene. */
  canMerge: boolean;
  dropMark: DropPosition | null;
  dragging: boolean;
  refCallback: (el: HTMLLIElement | null) => void;
  onFocus: () => void;
  onKeyDown: (e: KeyboardEvent<HTMLElement>) => void;
  onEdit: () => void;
  onCancelEdit: () => void;
  onSave: (patch: ShotPatch) => void;
  onDelete: () => void;
  onSplit: () => void;
  onMerge: () => void;
  onDragStart: (e: DragEvent<HTMLElement>) => void;
  onDragOver: (e: DragEvent<HTMLElement>) => void;
  onDragLeave: () => void;
  onDrop: (e: DragEvent<HTMLElement>) => void;
  onDragEnd: () => void;
}

function dialogueExcerpt(shot: Shot): string | null {
  const d = shot.dialogue[0];
  if (!d) return null;
  const more = shot.dialogue.length > 1 ? ` (+${shot.dialogue.length - 1})` : '';
  return `${d.character}${d.parenthetical ? `（${d.parenthetical}）` : ''}：${d.text}${more}`;
}

function ShotCard(p: CardProps) {
  const t = useT();
  const { shot } = p;
  const kind = shot.kind === 'dialogue' ? t('storyboard.kind.dialogue') : t('storyboard.kind.action');
  const excerpt = dialogueExcerpt(shot);
  const cls = [
    'shot-card',
    p.dropMark ? `drop-${p.dropMark}` : '',
    p.dragging ? 'dragging' : '',
    p.editing ? 'editing' : '',
  ]
    .filter(Boolean)
    .join(' ');
  return (
    <li
      ref={p.refCallback}
      className={cls}
      data-testid="shot-card"
      data-shot-id={shot.id}
      data-shot-number={shot.number}
      tabIndex={p.focused ? 0 : -1}
      aria-label={t('storyboard.cardLabel', { number: shot.number, kind, description: shot.description })}
      aria-busy={p.busy || undefined}
      draggable={!p.editing}
      onFocus={(e) => {
        if (e.target === e.currentTarget) p.onFocus();
      }}
      onKeyDown={p.onKeyDown}
      onDragStart={p.onDragStart}
      onDragOver={p.onDragOver}
      onDragLeave={p.onDragLeave}
      onDrop={p.onDrop}
      onDragEnd={p.onDragEnd}
    >
      <div className="shot-top">
        <span className="shot-grip" aria-hidden="true">
          <GripIcon size={14} />
        </span>
        <span className="shot-number" data-testid="shot-number">
          {shot.number}
        </span>
        <span className={`shot-kind kind-${shot.kind}`} data-testid="shot-kind">
          {kind}
        </span>
        {shot.edited && <span className="shot-edited" title={t('storyboard.editedTitle')}>{t('storyboard.edited')}</span>}
        <span className="shot-duration" data-testid="shot-duration">
          {formatDuration(shot.duration)}
        </span>
        {p.view === 'text' && shot.image_url && (
          <img
            className="shot-thumb"
            data-testid="shot-frame"
            data-asset-id={shot.keyframe_asset_id}
            // A small PNG the server makes (and keeps) on first request, not the full frame.
            src={apiUrl(shot.keyframe_asset_id ? `/api/v1/assets/${shot.keyframe_asset_id}/thumbnail` : shot.image_url) ?? undefined}
            alt={t('storyboard.keyframeAlt', { number: shot.number })}
            loading="lazy"
            draggable={false}
          />
        )}
      </div>
      {p.view === 'board' && <ShotFrame shot={shot} aspectRatio={p.aspectRatio} />}
      {p.editing ? (
        <ShotEditForm shot={shot} onSave={p.onSave} onCancel={p.onCancelEdit} />
      ) : (
        <>
          <p className="shot-description" data-testid="shot-description">
            {shot.description}
          </p>
          {excerpt && p.view === 'text' && (
            <p className="shot-dialogue" data-testid="shot-dialogue">
              {excerpt}
            </p>
          )}
          {shot.characters.length > 0 && p.view === 'text' && (
            <ul className="shot-characters" aria-label={t('storyboard.characters')}>
              {shot.characters.map((c) => (
                <li key={c} className="chip">
                  {c}
                </li>
              ))}
            </ul>
          )}
          <div className="shot-camera">
            <span data-testid="shot-type">{shot.shot_type ? shotTypeLabel(shot.shot_type) : t('storyboard.anyShot')}</span>
            <span aria-hidden="true">·</span>
            <span data-testid="shot-camera-move">{shot.camera_move ? cameraMoveLabel(shot.camera_move) : t('storyboard.anyMove')}</span>
          </div>
          <div className="shot-actions">
            <button type="button" className="icon-button" aria-label={t('storyboard.editAria', { number: shot.number })} title={t('storyboard.editTitle')} data-testid="shot-edit" onClick={p.onEdit}>
              <PencilIcon size={15} />
            </button>
            <button type="button" className="icon-button" aria-label={t('storyboard.splitAria', { number: shot.number })} title={t('storyboard.splitTitle')} data-testid="shot-split" onClick={p.onSplit} disabled={p.busy}>
              <SplitIcon size={15} />
            </button>
            <button type="button" className="icon-button" aria-label={t('storyboard.mergeAria', { number: shot.number })} title={p.canMerge ? t('storyboard.mergeTitle') : t('storyboard.mergeLastTitle')} data-testid="shot-merge" onClick={p.onMerge} disabled={p.busy || !p.canMerge}>
              <MergeIcon size={15} />
            </button>
            <button type="button" className="icon-button danger" aria-label={t('storyboard.deleteAria', { number: shot.number })} title={t('storyboard.deleteTitle')} data-testid="shot-delete" onClick={p.onDelete}>
              <TrashIcon size={15} />
            </button>
          </div>
        </>
      )}
    </li>
  );
}

/** The board view's large keyframe (the approved one, or the latest candidate), or a placeholder. */
function ShotFrame({ shot, aspectRatio }: { shot: Shot; aspectRatio: AspectRatio }) {
  const t = useT();
  const src = apiUrl(shot.image_url);
  return (
    <div className="shot-frame-box" style={{ aspectRatio: aspectRatio.replace(':', ' / ') }}>
      {src ? (
        <img className="shot-frame" data-testid="shot-frame" data-asset-id={shot.keyframe_asset_id ?? ''} src={src} alt={t('storyboard.keyframeAlt', { number: shot.number })} loading="lazy" draggable={false} />
      ) : (
        <span className="shot-frame-empty" data-testid="shot-frame-empty">
          {t('storyboard.noKeyframe')}
        </span>
      )}
    </div>
  );
}

function ShotEditForm({ shot, onSave, onCancel }: { shot: Shot; onSave: (patch: ShotPatch) => void; onCancel: () => void }) {
  const t = useT();
  const [description, setDescription] = useState(shot.description);
  const [duration, setDuration] = useState(String(shot.duration));
  const [shotType, setShotType] = useState<string>(shot.shot_type ?? '');
  const [cameraMove, setCameraMove] = useState<string>(shot.camera_move ?? '');
  const [error, setError] = useState<string | null>(null);
  const firstRef = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    firstRef.current?.focus();
    firstRef.current?.select();
  }, []);

  function submit() {
    const d = Number(duration);
    if (!Number.isFinite(d) || d <= 0 || d > 600) {
      setError(t('storyboard.durationInvalid'));
      return;
    }
    if (!description.trim()) {
      setError(t('storyboard.descriptionEmpty'));
      return;
    }
    const patch: ShotPatch = {};
    if (description.trim() !== shot.description) patch.description = description.trim();
    if (Math.abs(d - shot.duration) > 1e-6) patch.duration = d;
    // An empty string clears the field on the server.
    if (shotType !== (shot.shot_type ?? '')) patch.shot_type = shotType as ShotType | '';
    if (cameraMove !== (shot.camera_move ?? '')) patch.camera_move = cameraMove as CameraMove | '';
    onSave(patch);
  }

  return (
    <form
      className="shot-form"
      data-testid="shot-form"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          onCancel();
        } else if (e.key === 'Enter' && !e.shiftKey && (e.target as HTMLElement).tagName !== 'BUTTON') {
          e.preventDefault();
          submit();
        }
      }}
    >
      <label className="sr-only" htmlFor={`desc-${shot.id}`}>
        {t('storyboard.description')}
      </label>
      <textarea
        id={`desc-${shot.id}`}
        ref={firstRef}
        className="input textarea shot-desc-input"
        data-testid="shot-description-input"
        value={description}
        rows={3}
        onChange={(e) => {
          setDescription(e.target.value);
          setError(null);
        }}
      />
      <div className="shot-form-row">
        <label>
          <span>{t('storyboard.seconds')}</span>
          <input
            className="input input-sm"
            type="number"
            min={0.1}
            max={600}
            step={0.1}
            data-testid="shot-duration-input"
            value={duration}
            onChange={(e) => {
              setDuration(e.target.value);
              setError(null);
            }}
          />
        </label>
        <label>
          <span>{t('storyboard.shotType')}</span>
          <select className="input input-sm select" data-testid="shot-type-select" value={shotType} onChange={(e) => setShotType(e.target.value)}>
            <option value="">{t('storyboard.any')}</option>
            {SHOT_TYPES.map((type) => (
              <option key={type} value={type}>
                {shotTypeLabel(type)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>{t('storyboard.cameraMove')}</span>
          <select className="input input-sm select" data-testid="shot-camera-select" value={cameraMove} onChange={(e) => setCameraMove(e.target.value)}>
            <option value="">{t('storyboard.any')}</option>
            {CAMERA_MOVES.map((move) => (
              <option key={move} value={move}>
                {cameraMoveLabel(move)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && (
        <p className="field-error" role="alert" data-testid="shot-form-error">
          {error}
        </p>
      )}
      <div className="shot-form-actions">
        <span className="rename-hint">{t('storyboard.formHint')}</span>
        <button type="button" className="button secondary button-sm" onClick={onCancel} data-testid="shot-cancel">
          {t('common.cancel')}
        </button>
        <button type="submit" className="button primary button-sm" data-testid="shot-save">
          {t('common.save')}
        </button>
      </div>
    </form>
  );
}
