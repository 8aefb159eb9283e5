/**
 * The storyboard's data: the board as the query cache holds it (`keys.storyboard`), and the edits
 * made to it — optimistic moves, deletes and shot edits written into the cache and sent to the
 * server one at a time, splits and merges, and the undo/redo history (Ctrl+Z / Ctrl+Shift+Z and
 * the toasts' Undo buttons).
 */
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { keys, useStoryboard } from '../../api/queries';
import {
  deleteShot,
  getShot,
  mergeShots,
  moveShot,
  restoreShot,
  revertShot,
  sameShotState,
  shotState,
  splitShot,
  updateShot,
} from '../../api/storyboard';
import type { Shot, ShotPatch, Storyboard } from '../../api/types';
import { t as translate, useT } from '../../i18n';
import { createOpQueue, optimistic, type OpQueue } from '../../lib/optimistic';
import { flattenShots, mergeTargetId, neighbourId, placeOf, withoutShot, withShot, type MovePlan } from '../../lib/storyboardOrder';
import { historyKey, UndoStack, type UndoEntry, type UndoOutcome } from '../../lib/undo';
import { errorMessage } from '../../transport';
import { useToasts } from '../Toasts';

export type BoardLoad = { kind: 'loading' } | { kind: 'ready'; sb: Storyboard } | { kind: 'error'; message: string };

/**
 * What the board shows: the version's storyboard from the query cache. A failed re-read keeps the
 * board on screen (a toast says why); only a first read that fails shows the error.
 */
export function boardLoad(q: { data: Storyboard | undefined; error: unknown }): BoardLoad {
  if (q.data) return { kind: 'ready', sb: q.data };
  if (q.error) return { kind: 'error', message: errorMessage(q.error) };
  return { kind: 'loading' };
}

export function useBoard(projectId: string, versionId: string) {
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const q = useStoryboard(projectId, versionId);
  const hasData = q.data !== undefined;
  useEffect(() => {
    if (q.error && hasData) toasts.show({ kind: 'error', message: errorMessage(q.error) });
    // Once per failed read.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q.errorUpdatedAt]);
  const setSb = useCallback(
    (next: Storyboard | ((cur: Storyboard) => Storyboard)) =>
      queryClient.setQueryData<Storyboard>(keys.storyboard(projectId, versionId), (cur) =>
        typeof next === 'function' ? (cur ? next(cur) : cur) : next,
      ),
    [queryClient, projectId, versionId],
  );
  const reload = useCallback(
    () => void queryClient.invalidateQueries({ queryKey: keys.storyboard(projectId, versionId) }),
    [queryClient, projectId, versionId],
  );
  return { load: boardLoad(q), setSb, reload };
}

/** An undoable storyboard edit, and the shot to focus after it is undone or redone. */
interface BoardEntry extends UndoEntry {
  focus: string;
}

interface EditsDeps {
  projectId: string;
  sb: Storyboard | null;
  setSb: (next: Storyboard | ((cur: Storyboard) => Storyboard)) => void;
  reload: () => void;
  /** Makes `id` the focused card and gives it the keyboard focus after the next render. */
  focusShot: (id: string) => void;
  /** Gives card `id` the keyboard focus after the next render. */
  wantFocus: (id: string) => void;
}

export function useStoryboardEdits({ projectId, sb, setSb, reload, focusShot, wantFocus }: EditsDeps) {
  const t = useT();
  const toasts = useToasts();
  const [busyId, setBusyId] = useState<string | null>(null);
  const [announce, setAnnounce] = useState('');
  /** Moves and edits go to the server one at a time, in order. */
  const queue = useRef<OpQueue>(createOpQueue());
  /** Delete, split, merge and edit can be undone (Ctrl+Z) and redone (Ctrl+Shift+Z). */
  const history = useRef(new UndoStack());

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
      focusShot((r.entry as BoardEntry).focus);
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

  /* ---------- optimistic edits ---------- */

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

  function trash(shot: Shot) {
    if (!sb) return;
    const after = neighbourId(sb, shot.id, 1);
    const focusAfter = after === shot.id ? neighbourId(sb, shot.id, -1) : after;
    if (focusAfter && focusAfter !== shot.id) focusShot(focusAfter);
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
      setSb((cur) => withShot(cur, updated));
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

  /** Splits the shot in two, or merges the next shot of its scene into it (not optimistic). */
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
      wantFocus(shot.id);
      reload();
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
      reload();
    } finally {
      setBusyId(null);
    }
  }

  return { busyId, announce, applyMove, trash, saveEdit, structural };
}
