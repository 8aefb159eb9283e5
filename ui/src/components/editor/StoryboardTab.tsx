import { useCallback, useEffect, useLayoutEffect, useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import {
  deleteShot,
  getStoryboard,
  mergeShots,
  moveShot,
  restoreShot,
  splitShot,
  updateShot,
} from '../../api/storyboard';
import {
  CAMERA_MOVES,
  SHOT_TYPES,
  type CameraMove,
  type Shot,
  type ShotPatch,
  type ShotType,
  type Storyboard,
} from '../../api/types';
import { formatDuration, humanize, pluralize } from '../../lib/format';
import { cardKeyAction } from '../../lib/keyboard';
import {
  flattenShots,
  neighbourId,
  planDrop,
  planStep,
  withoutShot,
  withShot,
  type DropPosition,
  type MovePlan,
} from '../../lib/storyboardOrder';
import { createOpQueue, optimistic, type OpQueue } from '../../lib/optimistic';
import { errorMessage } from '../../transport';
import { AlertIcon, GripIcon, MergeIcon, PencilIcon, SplitIcon, TrashIcon } from '../Icons';
import { useToasts } from '../Toasts';

type Load = { kind: 'loading' } | { kind: 'ready' } | { kind: 'error'; message: string };

interface DragState {
  id: string;
  overId: string | null;
  position: DropPosition;
}

export function StoryboardTab({ projectId, versionId }: { projectId: string; versionId: string }) {
  const toasts = useToasts();
  const [load, setLoad] = useState<Load>({ kind: 'loading' });
  const [sb, setSb] = useState<Storyboard | null>(null);
  const [reloadKey, setReloadKey] = useState(0);
  const [focusId, setFocusId] = useState<string | null>(null);
  const [editingId, setEditingId] = useState<string | null>(null);
  const [drag, setDrag] = useState<DragState | null>(null);
  const [announce, setAnnounce] = useState('');
  const [busyId, setBusyId] = useState<string | null>(null);
  const sbRef = useRef<Storyboard | null>(null);
  sbRef.current = sb;
  const cards = useRef(new Map<string, HTMLElement>());
  /** A card to focus after the next render (keyboard moves re-parent cards across scenes). */
  const wantFocus = useRef<string | null>(null);
  /** Moves and edits go to the server one at a time, in order. */
  const queue = useRef<OpQueue>(createOpQueue());

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

  const shots = sb ? flattenShots(sb) : [];
  const activeFocus = focusId && shots.some((s) => s.id === focusId) ? focusId : (shots[0]?.id ?? null);

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

  function applyMove(id: string, plan: MovePlan, how: string) {
    if (!sb) return;
    const moved = flattenShots(plan.storyboard).find((s) => s.id === id);
    setAnnounce(moved ? `Shot moved to position ${moved.number}${how}` : '');
    change(sb, plan.storyboard, () => moveShot(id, plan.target));
  }

  function focusCard(id: string | null) {
    if (!id) return;
    setFocusId(id);
    wantFocus.current = id;
    cards.current.get(id)?.focus();
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
          applyMove(shot.id, plan, '');
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
    change(sb, withoutShot(sb, shot.id), () => deleteShot(shot.id), () => {
      toasts.show({
        kind: 'info',
        message: `Deleted shot ${shot.number}`,
        duration: 10_000,
        action: { label: 'Undo', testId: 'undo-delete-shot', onClick: () => void undoTrash(shot) },
      });
    });
  }

  async function undoTrash(shot: Shot) {
    try {
      await queue.current.idle();
      await restoreShot(shot.id);
      toasts.show({ kind: 'success', message: `Restored shot ${shot.number}` });
      wantFocus.current = shot.id;
      setFocusId(shot.id);
      reload();
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
    }
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
    });
  }

  async function structural(shot: Shot, op: 'split' | 'merge') {
    const next = op === 'merge' && sb ? neighbourId(sb, shot.id, 1) : null;
    if (op === 'merge' && (!next || next === shot.id)) return;
    setBusyId(shot.id);
    try {
      await queue.current.idle();
      if (op === 'split') {
        await splitShot(shot.id);
        toasts.show({ kind: 'success', message: `Split shot ${shot.number} in two` });
      } else {
        await mergeShots(shot.id, next!);
        toasts.show({ kind: 'success', message: `Merged shot ${shot.number + 1} into shot ${shot.number}` });
      }
      wantFocus.current = shot.id;
      reload();
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
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
      applyMove(id, plan, ' by drag and drop');
    }
  }

  if (load.kind === 'loading') {
    return <div className="storyboard-loading" data-testid="storyboard-loading"><span className="spinner" role="status" aria-label="Loading the storyboard" /></div>;
  }
  if (load.kind === 'error' || !sb) {
    return (
      <section className="panel">
        <div className="load-error" role="alert" data-testid="storyboard-error">
          <AlertIcon size={22} />
          <div>
            <h2>Couldn’t load the storyboard</h2>
            <p>{load.kind === 'error' ? load.message : ''}</p>
          </div>
          <button type="button" className="button secondary" onClick={reload}>
            Try again
          </button>
        </div>
      </section>
    );
  }

  return (
    <div className="storyboard" data-testid="storyboard">
      <div className="toolbar storyboard-toolbar">
        <p className="storyboard-summary" data-testid="storyboard-summary">
          {pluralize(sb.scenes.length, 'scene')} · {pluralize(shots.length, 'shot')} · {formatDuration(sb.total_duration)}
        </p>
        <p className="toolbar-hint" id="storyboard-help">
          Arrow keys move between shots · <kbd>Alt</kbd>+<kbd>↑</kbd>/<kbd>↓</kbd> moves a shot · <kbd>Enter</kbd> edits ·{' '}
          <kbd>Delete</kbd> deletes · or drag a card
        </p>
      </div>
      <p className="sr-only" aria-live="polite" data-testid="storyboard-announce">
        {announce}
      </p>
      {shots.length === 0 && (
        <div className="empty-state" data-testid="storyboard-empty">
          <h2>No shots yet</h2>
          <p>Write the script in the Script tab; every action and dialogue block becomes a shot.</p>
        </div>
      )}
      {sb.scenes.map((scene) => (
        <section
          key={scene.id}
          className="sb-scene"
          data-testid="storyboard-scene"
          data-scene-id={scene.id}
          aria-labelledby={`scene-h-${scene.id}`}
        >
          <header className="sb-scene-header">
            <h3 id={`scene-h-${scene.id}`}>
              <span className="sb-scene-number">{scene.number}</span>
              {scene.episode != null && <span className="bd-episode">E{scene.episode}</span>}
              <span data-testid="storyboard-scene-heading">{scene.heading ?? `Scene ${scene.number}`}</span>
            </h3>
            <span className="sb-scene-meta">
              {pluralize(scene.shots.length, 'shot')} · {formatDuration(scene.duration)}
            </span>
          </header>
          <ol className="sb-grid" aria-describedby="storyboard-help">
            {scene.shots.map((shot) => (
              <ShotCard
                key={shot.id}
                shot={shot}
                focused={shot.id === activeFocus}
                editing={editingId === shot.id}
                busy={busyId === shot.id}
                isLast={shot.id === shots[shots.length - 1]?.id}
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
            ))}
          </ol>
        </section>
      ))}
    </div>
  );
}

interface CardProps {
  shot: Shot;
  focused: boolean;
  editing: boolean;
  busy: boolean;
  isLast: boolean;
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
  const { shot } = p;
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
      aria-label={`Shot ${shot.number}, ${shot.kind}: ${shot.description}`}
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
          {shot.kind === 'dialogue' ? 'Dialogue' : 'Action'}
        </span>
        {shot.edited && <span className="shot-edited" title="Edited by hand">edited</span>}
        <span className="shot-duration" data-testid="shot-duration">
          {formatDuration(shot.duration)}
        </span>
      </div>
      {p.editing ? (
        <ShotEditForm shot={shot} onSave={p.onSave} onCancel={p.onCancelEdit} />
      ) : (
        <>
          <p className="shot-description" data-testid="shot-description">
            {shot.description}
          </p>
          {excerpt && (
            <p className="shot-dialogue" data-testid="shot-dialogue">
              {excerpt}
            </p>
          )}
          {shot.characters.length > 0 && (
            <ul className="shot-characters" aria-label="Characters">
              {shot.characters.map((c) => (
                <li key={c} className="chip">
                  {c}
                </li>
              ))}
            </ul>
          )}
          <div className="shot-camera">
            <span data-testid="shot-type">{shot.shot_type ? humanize(shot.shot_type) : 'Any shot'}</span>
            <span aria-hidden="true">·</span>
            <span data-testid="shot-camera-move">{shot.camera_move ? humanize(shot.camera_move) : 'Any move'}</span>
          </div>
          <div className="shot-actions">
            <button type="button" className="icon-button" aria-label={`Edit shot ${shot.number}`} title="Edit (Enter)" data-testid="shot-edit" onClick={p.onEdit}>
              <PencilIcon size={15} />
            </button>
            <button type="button" className="icon-button" aria-label={`Split shot ${shot.number}`} title="Split in two" data-testid="shot-split" onClick={p.onSplit} disabled={p.busy}>
              <SplitIcon size={15} />
            </button>
            <button type="button" className="icon-button" aria-label={`Merge shot ${shot.number} with the next shot`} title="Merge with the next shot" data-testid="shot-merge" onClick={p.onMerge} disabled={p.busy || p.isLast}>
              <MergeIcon size={15} />
            </button>
            <button type="button" className="icon-button danger" aria-label={`Delete shot ${shot.number}`} title="Delete (Del)" data-testid="shot-delete" onClick={p.onDelete}>
              <TrashIcon size={15} />
            </button>
          </div>
        </>
      )}
    </li>
  );
}

function ShotEditForm({ shot, onSave, onCancel }: { shot: Shot; onSave: (patch: ShotPatch) => void; onCancel: () => void }) {
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
      setError('Duration must be a number of seconds between 0 and 600');
      return;
    }
    if (!description.trim()) {
      setError('The description must not be empty');
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
        Description
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
          <span>Seconds</span>
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
          <span>Shot</span>
          <select className="input input-sm select" data-testid="shot-type-select" value={shotType} onChange={(e) => setShotType(e.target.value)}>
            <option value="">Any</option>
            {SHOT_TYPES.map((t) => (
              <option key={t} value={t}>
                {humanize(t)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Camera</span>
          <select className="input input-sm select" data-testid="shot-camera-select" value={cameraMove} onChange={(e) => setCameraMove(e.target.value)}>
            <option value="">Any</option>
            {CAMERA_MOVES.map((t) => (
              <option key={t} value={t}>
                {humanize(t)}
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
        <span className="rename-hint">Enter saves · Shift+Enter new line · Esc cancels</span>
        <button type="button" className="button secondary button-sm" onClick={onCancel} data-testid="shot-cancel">
          Cancel
        </button>
        <button type="submit" className="button primary button-sm" data-testid="shot-save">
          Save
        </button>
      </div>
    </form>
  );
}
