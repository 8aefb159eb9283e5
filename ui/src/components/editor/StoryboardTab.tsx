import { useMemo, useState, type DragEvent, type KeyboardEvent } from 'react';
import type { AspectRatio, Shot } from '../../api/types';
import { Trans, i18n, useT } from '../../i18n';
import { formatCount, formatDuration } from '../../lib/format';
import { cardKeyAction } from '../../lib/keyboard';
import { flattenShots, neighbourId, planDrop, planStep, type DropPosition } from '../../lib/storyboardOrder';
import { AlertIcon } from '../Icons';
import { ShotCard } from './ShotCard';
import { useBoard, useStoryboardEdits } from './useStoryboardEdits';
import { useCardFocus, useStoryboardRows, useStoryboardViewChoice } from './useStoryboardView';

export type { StoryboardView } from './useStoryboardView';

interface DragState {
  id: string;
  overId: string | null;
  position: DropPosition;
}

/**
 * The version's storyboard: scenes of shot cards to reorder (drag, Alt+arrows), edit, split,
 * merge and delete, with undo. The data and the edits are `useBoard` and `useStoryboardEdits`;
 * the view, focus and virtual rows are in `useStoryboardView`; the cards are `ShotCard`.
 */
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
  const { load, setSb, reload } = useBoard(projectId, versionId);
  const sb = load.kind === 'ready' ? load.sb : null;
  const [editingId, setEditingId] = useState<string | null>(null);
  const [drag, setDrag] = useState<DragState | null>(null);
  const [view, chooseView] = useStoryboardViewChoice();
  const focus = useCardFocus();
  const edits = useStoryboardEdits({ projectId, sb, setSb, reload, focusShot: focus.set, wantFocus: focus.want });

  const shots = useMemo(() => (sb ? flattenShots(sb) : []), [sb]);
  const activeFocus = focus.focusId && shots.some((s) => s.id === focus.focusId) ? focus.focusId : (shots[0]?.id ?? null);
  const { listRef, columns, layout, virtualizer } = useStoryboardRows({ sb, shots, view, aspectRatio, pinned: [activeFocus, drag?.id] });

  function focusCard(id: string | null) {
    if (!id) return;
    focus.set(id);
    const el = focus.cards.current.get(id);
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
          focus.want(shot.id);
          edits.applyMove(shot.id, plan, 'keys');
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
        edits.trash(shot);
        break;
    }
  }

  function saveEdit(shot: Shot, patch: Parameters<typeof edits.saveEdit>[1]) {
    setEditingId(null);
    focus.want(shot.id);
    edits.saveEdit(shot, patch);
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
      focus.setFocusId(id);
      edits.applyMove(id, plan, 'drag');
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
      busy={edits.busyId === shot.id}
      canMerge={mergeWith !== null}
      dropMark={drag && drag.overId === shot.id && drag.id !== shot.id ? drag.position : null}
      dragging={drag?.id === shot.id}
      refCallback={(el) => focus.cardRef(shot.id, el)}
      onFocus={() => focus.setFocusId(shot.id)}
      onKeyDown={(e) => onCardKeyDown(e, shot)}
      onEdit={() => setEditingId(shot.id)}
      onCancelEdit={() => {
        setEditingId(null);
        focus.want(shot.id);
      }}
      onSave={(patch) => saveEdit(shot, patch)}
      onDelete={() => edits.trash(shot)}
      onSplit={() => void edits.structural(shot, 'split')}
      onMerge={() => void edits.structural(shot, 'merge')}
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
        {edits.announce}
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
