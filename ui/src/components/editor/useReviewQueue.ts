/**
 * The review queue's data and decisions: the queue as the query cache holds it
 * (`keys.workflows.review`), the reviewer's place in it (`lib/review.ts`'s reducer), and the
 * decisions — shown at once in the cache, sent to the server one at a time, the server's answer
 * shown once none is pending — plus replacement uploads and "Continue".
 */
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useLayoutEffect, useReducer, useRef, useState } from 'react';
import { keys, useReviewQueueQuery } from '../../api/queries';
import type { ReviewItem, ReviewQueue as Queue, Run, StepStatus } from '../../api/types';
import { continueReview, decide, humanSelect, uploadReplacement } from '../../api/workflows';
import { useT } from '../../i18n';
import { createOpQueue } from '../../lib/optimistic';
import { initialReviewState, isUnresolved, reviewCounts, reviewReducer, withDecision } from '../../lib/review';
import { errorMessage } from '../../transport';
import { useToasts } from '../Toasts';

/** The queue with `items` in place of its items, its counts recomputed. */
export function withItems(q: Queue, items: ReviewItem[]): Queue {
  const c = reviewCounts(items);
  return { ...q, items, approved: c.approved, rejected: c.rejected, undecided: c.undecided };
}

export function useReviewQueue({
  nodeRunId,
  nodeStatus,
  onContinued,
}: {
  nodeRunId: string;
  nodeStatus: StepStatus;
  onContinued: (run: Run) => void;
}) {
  const t = useT();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [state, dispatch] = useReducer(reviewReducer, initialReviewState);
  const [continuing, setContinuing] = useState(false);
  const [uploading, setUploading] = useState(false);
  const [announce, setAnnounce] = useState('');
  const ops = useRef(createOpQueue());
  /** Decisions sent but not answered yet: server answers are only shown once none are left. */
  const pending = useRef(0);
  /** Set when a decision moves the reviewer on: the new current thumbnail takes the focus. */
  const wantThumbFocus = useRef(false);

  const query = useReviewQueueQuery(nodeRunId, nodeStatus, () => pending.current > 0);
  const queryKey = keys.workflows.review(nodeRunId, nodeStatus);
  const queue = query.data ?? null;
  const loadError = query.error ? errorMessage(query.error) : null;
  const reload = useCallback(() => void queryClient.invalidateQueries({ queryKey }), [queryClient, queryKey]);

  // Every queue the server gives (a read, a decision's answer) updates the reviewer's place; the
  // queues this hook shows itself have already done so (`handled`).
  const handled = useRef<Queue | undefined>(undefined);
  useLayoutEffect(() => {
    if (!queue || queue === handled.current) return;
    handled.current = queue;
    dispatch({ type: 'load', items: queue.items });
  }, [queue]);

  /** The queue on screen now (also between a key press and the next render). */
  const shownNow = (): Queue | undefined => queryClient.getQueryData<Queue>(queryKey) ?? query.data;
  const itemsNow = (): ReviewItem[] => shownNow()?.items ?? [];

  /** Shows `q` (the reviewer's place already follows it). */
  function show(q: Queue) {
    handled.current = queryClient.setQueryData<Queue>(queryKey, q);
  }
  function showLocal(next: ReviewItem[]) {
    const cur = shownNow();
    if (cur) show(withItems(cur, next));
  }

  const items = queue?.items ?? [];
  const current = items.find((i) => i.item_key === state.current) ?? null;
  const open = queue?.status === 'waiting' && !continuing;

  /** Sends `op` after the earlier ones; shows the server's queue once nothing else is pending. */
  function send(op: () => Promise<Queue>, shot: number) {
    pending.current += 1;
    ops.current
      .run(op)
      .then((q) => {
        pending.current -= 1;
        if (pending.current === 0) queryClient.setQueryData<Queue>(queryKey, q);
      })
      .catch((e: unknown) => {
        pending.current -= 1;
        toasts.show({ kind: 'error', message: t('review.shotError', { shot, error: errorMessage(e) }) });
        if (pending.current === 0) reload();
      });
  }

  /** Picks one of the shot's candidates as its keyframe (human select, docs/API-WORKFLOWS.md). */
  function selectCandidate(assetId: string) {
    const item = itemsNow().find((i) => i.item_key === state.current);
    if (!open || !item || !queue) return;
    showLocal(itemsNow().map((i) => (i.item_key === item.item_key ? { ...i, asset_id: assetId, decision: 'select', locked: true } : i)));
    setAnnounce(t('review.announceSelected', { shot: item.shot_number }));
    send(() => humanSelect(queue.run_id, nodeRunId, { [item.item_key]: [assetId] }), item.shot_number);
  }

  /** Decides the current shot; false when nothing was sent. */
  function decideCurrent(decision: 'approve' | 'reject' | 'unlock', text = ''): boolean {
    const item = itemsNow().find((i) => i.item_key === state.current);
    if (!open || !item) return false;
    if (decision === 'reject' && item.locked) {
      toasts.show({ kind: 'info', message: t('review.lockedToast', { shot: item.shot_number }) });
      return false;
    }
    if (decision === 'unlock' && !item.locked && item.decision == null) return false;
    const next = withDecision(itemsNow(), item.item_key, decision, text);
    showLocal(next);
    if (decision === 'unlock') {
      dispatch({ type: 'load', items: next });
      setAnnounce(t('review.announceUnlocked', { shot: item.shot_number }));
    } else {
      wantThumbFocus.current = true;
      dispatch({ type: 'decided', items: next, key: item.item_key });
      setAnnounce(t(decision === 'approve' ? 'review.announceApproved' : 'review.announceRejected', { shot: item.shot_number }));
    }
    const input = { item_key: item.item_key, decision, ...(text.trim() ? { comment: text.trim() } : {}) };
    send(() => decide(nodeRunId, input), item.shot_number);
    return true;
  }

  /** Replaces the current shot's keyframe with `file` (counts as approved). */
  async function upload(file: File) {
    const item = current;
    if (!item || !open) return;
    setUploading(true);
    try {
      await ops.current.idle();
      const q = await uploadReplacement(nodeRunId, item.item_key, file);
      if (pending.current === 0) {
        show(q);
        wantThumbFocus.current = true;
        dispatch({ type: 'decided', items: q.items, key: item.item_key });
      }
      toasts.show({ kind: 'success', message: t('review.replaced', { shot: item.shot_number }) });
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
    } finally {
      setUploading(false);
    }
  }

  /** Closes the review and lets the run go on; `keepUnresolved` goes on despite open rejections. */
  async function doContinue(keepUnresolved = false) {
    setContinuing(true);
    try {
      await ops.current.idle();
      const kept = itemsNow().filter(isUnresolved).length;
      const run = await continueReview(nodeRunId, keepUnresolved);
      toasts.show({
        kind: 'success',
        message: keepUnresolved && kept ? t('review.sentKeeping', { count: kept }) : t('review.sent'),
      });
      onContinued(run);
      reload();
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
      reload();
    } finally {
      setContinuing(false);
    }
  }

  return {
    queue,
    loadError,
    reload,
    state,
    dispatch,
    items,
    current,
    open,
    continuing,
    uploading,
    announce,
    wantThumbFocus,
    itemsNow,
    selectCandidate,
    decideCurrent,
    upload,
    doContinue,
  };
}
