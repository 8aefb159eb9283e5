import { useCallback, useEffect, useLayoutEffect, useReducer, useRef, useState } from 'react';
import type { DialogueLine, ReviewItem, ReviewQueue as Queue, Run, StepStatus } from '../../api/types';
import { continueReview, decide, getReviewQueue, humanSelect, uploadReplacement } from '../../api/workflows';
import { useT } from '../../i18n';
import { stepStatusLabel } from '../../lib/editorLabels';
import { createOpQueue } from '../../lib/optimistic';
import {
  REVIEW_FILTERS,
  commentKeyCommand,
  continueMode,
  decisionGroup,
  initialReviewState,
  isRedrawing,
  isUnresolved,
  reviewCounts,
  reviewKeyCommand,
  reviewReducer,
  visibleItems,
  withDecision,
  type ReviewFilter,
} from '../../lib/review';
import { apiUrl, errorMessage } from '../../transport';
import { AlertIcon, CheckIcon, CloseIcon, ImageIcon, LockIcon, UploadIcon } from '../Icons';
import { Modal } from '../Modal';
import { useToasts } from '../Toasts';
import { AssetModelById } from './AssetModelLabel';

/** Each shortcut's keys and what it does (`review.shortcut.*`). */
const SHORTCUTS = [
  [['A'], 'approve'],
  [['R'], 'reject'],
  [['J', '→'], 'next'],
  [['K', '←'], 'prev'],
  [['U'], 'unlock'],
  [['Z'], 'zoom'],
  [['?'], 'help'],
  [['Esc'], 'escape'],
] as const;

/** The hint line under the filmstrip (`review.hint.*`). */
const HINTS = [
  [['A'], 'approve'],
  [['R'], 'reject'],
  [['J', '→'], 'next'],
  [['K', '←'], 'prev'],
  [['U'], 'unlock'],
  [['Z'], 'zoom'],
  [['?'], 'help'],
] as const;

function dialogueLines(d: unknown): DialogueLine[] {
  if (!Array.isArray(d)) return [];
  return d.filter((l): l is DialogueLine => !!l && typeof l === 'object' && typeof (l as DialogueLine).text === 'string');
}

interface Props {
  nodeRunId: string;
  /** The review node's status; the queue is re-read when it changes. */
  nodeStatus: StepStatus;
  onContinued: (run: Run) => void;
}

export function ReviewQueue({ nodeRunId, nodeStatus, onContinued }: Props) {
  const t = useT();
  const toasts = useToasts();
  const filterLabel = (f: ReviewFilter) => t(`review.filter.${f}`);
  const [queue, setQueue] = useState<Queue | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [reloadKey, setReloadKey] = useState(0);
  const [state, dispatch] = useReducer(reviewReducer, initialReviewState);
  const [comment, setComment] = useState('');
  const [continuing, setContinuing] = useState(false);
  const [uploading, setUploading] = useState(false);
  const [confirming, setConfirming] = useState(false);
  /** The gate is shut (rejections without an approved redraw): the dialog that says so is open. */
  const [blocked, setBlocked] = useState(false);
  /** The frame at 100% (scrollable) instead of whole in its box. */
  const [actualSize, setActualSize] = useState(false);
  const [announce, setAnnounce] = useState('');
  const ops = useRef(createOpQueue());
  /** Decisions sent but not answered yet: server answers are only shown once none are left. */
  const pending = useRef(0);
  const thumbs = useRef(new Map<string, HTMLButtonElement>());
  const commentRef = useRef<HTMLTextAreaElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const wantThumbFocus = useRef(false);
  const itemsRef = useRef<ReviewItem[]>([]);
  const frameRef = useRef<HTMLElement>(null);
  /** The frame box's height: what the window leaves below the box's place on the page. */
  const [frameHeight, setFrameHeight] = useState<number | null>(null);

  const reload = useCallback(() => setReloadKey((k) => k + 1), []);

  useEffect(() => {
    const ctrl = new AbortController();
    getReviewQueue(nodeRunId, ctrl.signal)
      .then((q) => {
        if (pending.current > 0) return;
        setQueue(q);
        setLoadError(null);
        itemsRef.current = q.items;
        dispatch({ type: 'load', items: q.items });
      })
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) setLoadError(errorMessage(e));
      });
    return () => ctrl.abort();
  }, [nodeRunId, nodeStatus, reloadKey]);

  // A rejected shot is redrawn in the background: re-read the queue until its new frame is in.
  const redrawing = queue?.status === 'waiting' && (queue?.items ?? []).some(isRedrawing);
  useEffect(() => {
    if (!redrawing) return;
    const timer = window.setTimeout(reload, 700);
    return () => window.clearTimeout(timer);
  }, [redrawing, queue, reload]);

  const items = queue?.items ?? [];
  const current = items.find((i) => i.item_key === state.current) ?? null;
  const open = queue?.status === 'waiting' && !continuing;
  const counts = reviewCounts(items);
  const shown = visibleItems(items, state.filter);

  // The largest frame the viewport allows: from the box's top on the page to the window's bottom,
  // so the whole frame is in view without scrolling (re-measured when the window is resized).
  const hasFrame = !!current;
  useLayoutEffect(() => {
    const fit = () => {
      const el = frameRef.current;
      if (!el) return;
      const top = el.getBoundingClientRect().top + window.scrollY;
      setFrameHeight(Math.max(320, Math.floor(window.innerHeight - top - 16)));
    };
    fit();
    window.addEventListener('resize', fit);
    return () => window.removeEventListener('resize', fit);
  }, [hasFrame, queue?.status]);

  // After a decision the next undecided thumbnail takes the focus (and scrolls into view).
  useLayoutEffect(() => {
    if (state.commenting) commentRef.current?.focus();
  }, [state.commenting]);
  useLayoutEffect(() => {
    if (!wantThumbFocus.current || !state.current) return;
    wantThumbFocus.current = false;
    const el = thumbs.current.get(state.current);
    el?.focus({ preventScroll: true });
    el?.scrollIntoView?.({ block: 'nearest', inline: 'nearest' });
  });

  function showLocal(next: ReviewItem[]) {
    itemsRef.current = next;
    setQueue((q) => (q ? { ...q, items: next, ...serverCounts(next) } : q));
  }

  /** Sends `op` after the earlier ones; shows the server's queue once nothing else is pending. */
  function send(op: () => Promise<Queue>, shot: number) {
    pending.current += 1;
    ops.current
      .run(op)
      .then((q) => {
        pending.current -= 1;
        if (pending.current === 0) {
          setQueue(q);
          itemsRef.current = q.items;
          dispatch({ type: 'load', items: q.items });
        }
      })
      .catch((e: unknown) => {
        pending.current -= 1;
        toasts.show({ kind: 'error', message: t('review.shotError', { shot, error: errorMessage(e) }) });
        if (pending.current === 0) reload();
      });
  }

  /** Picks one of the shot's candidates as its keyframe (human select, docs/API-WORKFLOWS.md). */
  function selectCandidate(assetId: string) {
    const item = itemsRef.current.find((i) => i.item_key === state.current);
    if (!open || !item || !queue) return;
    showLocal(
      itemsRef.current.map((i) =>
        i.item_key === item.item_key ? { ...i, asset_id: assetId, decision: 'select', locked: true } : i,
      ),
    );
    setAnnounce(t('review.announceSelected', { shot: item.shot_number }));
    send(() => humanSelect(queue.run_id, nodeRunId, { [item.item_key]: [assetId] }), item.shot_number);
  }

  function decideCurrent(decision: 'approve' | 'reject' | 'unlock', text = '') {
    const item = itemsRef.current.find((i) => i.item_key === state.current);
    if (!open || !item) return;
    if (decision === 'reject' && item.locked) {
      toasts.show({ kind: 'info', message: t('review.lockedToast', { shot: item.shot_number }) });
      return;
    }
    if (decision === 'unlock' && !item.locked && item.decision == null) return;
    const next = withDecision(itemsRef.current, item.item_key, decision, text);
    showLocal(next);
    if (decision === 'unlock') {
      dispatch({ type: 'load', items: next });
      setAnnounce(t('review.announceUnlocked', { shot: item.shot_number }));
    } else {
      wantThumbFocus.current = true;
      dispatch({ type: 'decided', items: next, key: item.item_key });
      setAnnounce(t(decision === 'approve' ? 'review.announceApproved' : 'review.announceRejected', { shot: item.shot_number }));
    }
    if (decision === 'reject') setComment('');
    const input = { item_key: item.item_key, decision, ...(text.trim() ? { comment: text.trim() } : {}) };
    send(() => decide(nodeRunId, input), item.shot_number);
  }

  function startReject() {
    if (!open || !current) return;
    if (current.locked) {
      decideCurrent('reject');
      return;
    }
    dispatch({ type: 'comment' });
    commentRef.current?.focus();
  }

  async function upload(file: File) {
    const item = current;
    if (!item || !open) return;
    setUploading(true);
    try {
      await ops.current.idle();
      const q = await uploadReplacement(nodeRunId, item.item_key, file);
      if (pending.current === 0) {
        setQueue(q);
        itemsRef.current = q.items;
        wantThumbFocus.current = true;
        dispatch({ type: 'decided', items: q.items, key: item.item_key });
      }
      toasts.show({ kind: 'success', message: t('review.replaced', { shot: item.shot_number }) });
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
    } finally {
      setUploading(false);
      if (fileRef.current) fileRef.current.value = '';
    }
  }

  async function doContinue(keepUnresolved = false) {
    setConfirming(false);
    setBlocked(false);
    setContinuing(true);
    try {
      await ops.current.idle();
      const kept = itemsRef.current.filter(isUnresolved).length;
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

  function requestContinue() {
    const mode = continueMode(itemsRef.current);
    if (mode === 'empty' || !open) return;
    if (mode === 'blocked') setBlocked(true);
    else if (mode === 'confirm') setConfirming(true);
    else void doContinue();
  }

  // Page-wide shortcuts (not while typing, not with a dialog open).
  const onKey = useRef<(e: KeyboardEvent) => void>(() => {});
  onKey.current = (e: KeyboardEvent) => {
    const cmd = reviewKeyCommand(e);
    if (!cmd) return;
    if (confirming || blocked) return;
    if (state.help) {
      if (cmd === 'help' || cmd === 'escape') {
        e.preventDefault();
        dispatch({ type: 'close-help' });
      }
      return;
    }
    if (document.querySelector('[role="dialog"]')) return;
    switch (cmd) {
      case 'approve':
        decideCurrent('approve', comment);
        if (comment) setComment('');
        break;
      case 'reject':
        startReject();
        break;
      case 'unlock':
        decideCurrent('unlock');
        break;
      case 'zoom':
        setActualSize((z) => !z);
        break;
      case 'next':
      case 'prev':
        wantThumbFocus.current = true;
        dispatch({ type: cmd });
        break;
      case 'help':
        dispatch({ type: 'toggle-help' });
        break;
      case 'escape':
        if (!state.commenting) return;
        dispatch({ type: 'cancel-comment' });
        break;
    }
    e.preventDefault();
  };
  useEffect(() => {
    const handler = (e: KeyboardEvent) => onKey.current(e);
    document.addEventListener('keydown', handler);
    return () => document.removeEventListener('keydown', handler);
  }, []);

  if (loadError && !queue) {
    return (
      <section className="panel">
        <div className="load-error" role="alert" data-testid="review-error">
          <AlertIcon size={22} />
          <div>
            <h2>{t('review.loadError')}</h2>
            <p>{loadError}</p>
          </div>
          <button type="button" className="button secondary" onClick={reload}>
            {t('common.tryAgain')}
          </button>
        </div>
      </section>
    );
  }
  if (!queue) {
    return (
      <section className="panel">
        <span className="spinner" role="status" aria-label={t('review.loading')} />
      </section>
    );
  }

  const lines = current ? dialogueLines(current.dialogue) : [];
  const image = current ? apiUrl(current.image_url) : null;
  const mode = continueMode(items);

  return (
    <section
      className="panel review"
      aria-label={t('review.title')}
      data-testid="review"
      data-node-run-id={queue.node_run_id}
      data-status={queue.status}
    >
      <header className="review-head">
        <h2>{t('review.title')}</h2>
        <span
          className="review-counts"
          data-testid="review-counts"
          data-approved={counts.approved}
          data-rejected={counts.rejected}
          data-undecided={counts.undecided}
          title={t('review.countsTitle', { approved: counts.approved, rejected: counts.rejected, undecided: counts.undecided })}
        >
          {t('review.decided', { decided: counts.all - counts.undecided, total: counts.all })}
        </span>
        <div className="segmented" role="group" aria-label={t('review.show')}>
          {REVIEW_FILTERS.map((f) => (
            <button
              key={f}
              type="button"
              className={`segment${state.filter === f ? ' active' : ''}`}
              aria-pressed={state.filter === f}
              data-testid={`review-filter-${f}`}
              onClick={() => dispatch({ type: 'filter', filter: f })}
            >
              {filterLabel(f)} <span className="segment-count">{counts[f]}</span>
            </button>
          ))}
        </div>
        <button type="button" className="button secondary button-sm" data-testid="review-help-button" onClick={() => dispatch({ type: 'toggle-help' })} aria-keyshortcuts="?">
          {t('review.shortcuts')} <kbd>?</kbd>
        </button>
        {queue.status === 'waiting' ? (
          <button
            type="button"
            className="button primary"
            data-testid="review-continue"
            data-mode={mode}
            disabled={!open || mode === 'empty'}
            onClick={requestContinue}
            title={
              mode === 'blocked'
                ? t('review.continueBlocked')
                : mode === 'confirm'
                  ? t('review.continueConfirm', { count: counts.undecided })
                  : t('review.continueReady')
            }
          >
            {continuing ? t('review.continuing') : t('review.continue')}
          </button>
        ) : (
          <span className="muted" data-testid="review-closed">
            {t('review.closed', { status: stepStatusLabel(queue.status).toLowerCase() })}
          </span>
        )}
      </header>

      {shown.length === 0 ? (
        <div className="empty-state" data-testid="review-empty">
          <h2>{t(`review.empty.${state.filter}`)}</h2>
          <p>{state.filter === 'all' ? t('review.emptyAllBody') : t('review.emptyFilteredBody')}</p>
        </div>
      ) : (
        current && (
          <div className="review-stage">
            <figure
              ref={frameRef}
              style={frameHeight ? { height: frameHeight } : undefined}
              className={`review-frame${actualSize ? ' actual-size' : ''}`}
              data-testid="review-frame"
              data-item-key={current.item_key}
              data-asset-id={current.asset_id ?? ''}
              data-zoom={actualSize ? '100' : 'fit'}
            >
              {image ? (
                <img src={image} alt={t('review.keyframeAlt', { shot: current.shot_number })} data-testid="review-image" />
              ) : (
                <span className="review-frame-missing">
                  <ImageIcon size={32} />
                  {t('review.noKeyframe')}
                </span>
              )}
              {current.asset_id && (
                <span className="review-model">
                  <AssetModelById assetId={current.asset_id} />
                </span>
              )}
              {current.locked && (
                <span className="review-lock" title={t('review.lockedTitle')} data-testid="review-locked">
                  <LockIcon /> {t('review.locked')}
                </span>
              )}
              {image && (
                <button
                  type="button"
                  className="review-zoom button secondary button-sm"
                  data-testid="review-zoom"
                  aria-pressed={actualSize}
                  aria-keyshortcuts="Z"
                  title={actualSize ? t('review.zoomFitTitle') : t('review.zoomActualTitle')}
                  onClick={() => setActualSize((z) => !z)}
                >
                  {actualSize ? t('review.fit') : '100%'} <kbd>Z</kbd>
                </button>
              )}
              {isRedrawing(current) && (
                <span className="review-redrawing" role="status" data-testid="review-redrawing">
                  <span className="spinner" aria-hidden="true" /> {t('review.redrawing')}
                </span>
              )}
            </figure>
            {(current.candidates?.length ?? 0) > 1 && (
              <div className="review-candidates" role="group" aria-label={t('review.candidates')} data-testid="review-candidates">
                {current.candidates?.map((c, i) => (
                  <button
                    key={c.asset_id}
                    type="button"
                    className={`review-candidate${c.asset_id === current.asset_id ? ' selected' : ''}`}
                    aria-pressed={c.asset_id === current.asset_id}
                    disabled={!open}
                    data-testid="review-candidate"
                    onClick={() => selectCandidate(c.asset_id)}
                  >
                    <img src={apiUrl(c.image_url) ?? undefined} alt={t('review.candidateAlt', { n: i + 1, shot: current.shot_number })} />
                  </button>
                ))}
              </div>
            )}
            <div className="review-side">
              <p className="review-shot-number" data-testid="review-shot-number">
                {t('review.shotNumber', { scene: current.scene_number, shot: current.shot_number })}
                <span className={`decision-badge decision-${decisionGroup(current.decision)}`} data-testid="review-decision" data-decision={current.decision ?? ''}>
                  {current.decision == null
                    ? current.redrawn_after
                      ? t('review.decision.newFrame')
                      : t('review.decision.undecided')
                    : current.decision === 'reject'
                      ? isRedrawing(current)
                        ? t('review.decision.rejectedRedrawing')
                        : t('review.decision.rejected')
                      : t('review.decision.approved')}
                </span>
              </p>
              {current.redrawn_after && (
                <div className="review-redrawn" data-testid="review-redrawn">
                  {current.redrawn_after.asset_id && (
                    <img
                      src={apiUrl(`/api/v1/assets/${current.redrawn_after.asset_id}/download`) ?? undefined}
                      alt={t('review.rejectedFrameAlt', { shot: current.shot_number })}
                    />
                  )}
                  <p>
                    {current.redrawn_after.comment ? (
                      <>
                        {t('review.redrawnAfterComment')}
                        <q data-testid="review-redrawn-comment">{current.redrawn_after.comment}</q>
                      </>
                    ) : (
                      t('review.redrawnAfter')
                    )}
                  </p>
                </div>
              )}
              {current.redraw?.status === 'failed' && (
                <div className="review-redraw-failed" role="alert" data-testid="review-redraw-failed">
                  <AlertIcon size={16} />
                  <span>{t('review.redrawFailed', { error: current.redraw.error })}</span>
                  <button type="button" className="button secondary button-sm" disabled={!open} onClick={() => decideCurrent('reject', current.comment ?? '')}>
                    {t('review.redrawAgain')}
                  </button>
                </div>
              )}
              <p className="review-description" data-testid="review-description">
                {current.description || <span className="muted">{t('review.noDescription')}</span>}
              </p>
              {lines.length > 0 && (
                <ul className="review-dialogue" data-testid="review-dialogue">
                  {lines.map((l, i) => (
                    <li key={i}>
                      <span className="review-speaker">
                        {l.character}
                        {l.parenthetical ? `（${l.parenthetical}）` : ''}
                      </span>
                      {l.text}
                    </li>
                  ))}
                </ul>
              )}
              {current.comment && current.decision === 'reject' && (
                <p className="review-comment-shown" data-testid="review-item-comment">
                  “{current.comment}”
                </p>
              )}
              <label className="review-comment-label" htmlFor="review-comment">
                {t('review.comment')} {state.commenting ? <span className="muted">{t('review.commentHint')}</span> : null}
              </label>
              <textarea
                id="review-comment"
                ref={commentRef}
                className={`input review-comment${state.commenting ? ' commenting' : ''}`}
                data-testid="review-comment"
                rows={3}
                maxLength={2000}
                value={comment}
                disabled={!open}
                placeholder={t('review.commentPlaceholder')}
                onChange={(e) => setComment(e.target.value)}
                onFocus={() => {
                  if (!state.commenting) dispatch({ type: 'comment' });
                }}
                onKeyDown={(e) => {
                  const cmd = commentKeyCommand({ ...e, isComposing: e.nativeEvent.isComposing });
                  if (!cmd) return;
                  e.preventDefault();
                  if (cmd === 'submit') {
                    decideCurrent('reject', comment);
                  } else {
                    dispatch({ type: 'cancel-comment' });
                    wantThumbFocus.current = true;
                    commentRef.current?.blur();
                  }
                }}
              />
              <div className="review-actions">
                <button type="button" className="button primary" data-testid="review-approve" disabled={!open} onClick={() => decideCurrent('approve', comment)} aria-keyshortcuts="A">
                  <CheckIcon /> {t('review.approve')} <kbd>A</kbd>
                </button>
                <button
                  type="button"
                  className="button danger"
                  data-testid="review-reject"
                  disabled={!open}
                  onClick={() => (state.commenting || comment.trim() ? decideCurrent('reject', comment) : startReject())}
                  aria-keyshortcuts="R"
                >
                  <CloseIcon /> {t('review.reject')} <kbd>R</kbd>
                </button>
                <button type="button" className="button secondary" data-testid="review-unlock" disabled={!open || !current.locked} onClick={() => decideCurrent('unlock')} aria-keyshortcuts="U">
                  <LockIcon /> {t('review.unlock')} <kbd>U</kbd>
                </button>
                <button type="button" className="button secondary" data-testid="review-upload" disabled={!open || uploading} onClick={() => fileRef.current?.click()}>
                  <UploadIcon /> {uploading ? t('review.uploading') : t('review.upload')}
                </button>
                <input
                  ref={fileRef}
                  type="file"
                  accept="image/*"
                  hidden
                  data-testid="review-upload-input"
                  onChange={(e) => {
                    const f = e.target.files?.[0];
                    if (f) void upload(f);
                  }}
                />
              </div>
            </div>
          </div>
        )
      )}

      <ol className="filmstrip" aria-label={t('review.shots')} data-testid="filmstrip">
        {shown.map((i) => {
          const thumb = apiUrl(i.image_url);
          const group = decisionGroup(i.decision);
          const isCurrent = i.item_key === state.current;
          return (
            <li key={i.item_key}>
              <button
                type="button"
                ref={(el) => {
                  if (el) thumbs.current.set(i.item_key, el);
                  else thumbs.current.delete(i.item_key);
                }}
                className={`thumb decision-${group}${isCurrent ? ' current' : ''}`}
                aria-current={isCurrent ? 'true' : undefined}
                aria-label={t(i.locked ? 'review.thumbLocked' : 'review.thumb', { shot: i.shot_number, decision: filterLabel(group).toLowerCase() })}
                data-testid="review-thumb"
                data-item-key={i.item_key}
                data-decision={i.decision ?? ''}
                data-redrawn={i.redrawn_after ? 'true' : undefined}
                onClick={() => dispatch({ type: 'select', key: i.item_key })}
              >
                {thumb ? <img src={thumb} alt="" loading="lazy" /> : <span className="thumb-missing" aria-hidden="true" />}
                <span className="thumb-number">{i.shot_number}</span>
                {group !== 'undecided' && (
                  <span className={`thumb-badge badge-${group}`} aria-hidden="true">
                    {group === 'approved' ? <CheckIcon size={12} /> : <CloseIcon size={12} />}
                  </span>
                )}
                {i.locked && (
                  <span className="thumb-lock" aria-hidden="true">
                    <LockIcon size={11} />
                  </span>
                )}
              </button>
            </li>
          );
        })}
      </ol>
      <p className="toolbar-hint">
        {HINTS.map(([keys, what], n) => (
          <span key={what}>
            {n > 0 && ' · '}
            {keys.map((k, m) => (
              <span key={k}>
                {m > 0 && '/'}
                <kbd>{k}</kbd>
              </span>
            ))}{' '}
            {t(`review.hint.${what}`)}
          </span>
        ))}
      </p>
      <span className="sr-only" aria-live="polite" data-testid="review-announce">
        {announce}
      </span>

      {state.help && (
        <Modal title={t('review.helpTitle')} onClose={() => dispatch({ type: 'close-help' })} size="sm" testId="review-help">
          <div className="modal-body">
            <dl className="shortcut-list">
              {SHORTCUTS.map(([keys, what]) => (
                <div key={what}>
                  <dt>
                    {keys.map((k, n) => (
                      <span key={k}>
                        {n > 0 && ' / '}
                        <kbd>{k}</kbd>
                      </span>
                    ))}
                  </dt>
                  <dd>{t(`review.shortcut.${what}`)}</dd>
                </div>
              ))}
            </dl>
          </div>
        </Modal>
      )}
      {confirming && (
        <Modal title={t('review.confirmTitle')} onClose={() => setConfirming(false)} size="sm" testId="review-confirm" initialFocus='[data-testid="review-confirm-cancel"]'>
          <div className="modal-body">
            <p className="confirm-text">
              {t('review.confirmText', { count: counts.undecided })}
            </p>
          </div>
          <footer className="modal-footer">
            <button type="button" className="button secondary" data-testid="review-confirm-cancel" onClick={() => setConfirming(false)}>
              {t('review.keepReviewing')}
            </button>
            <button type="button" className="button primary" data-testid="review-confirm-continue" onClick={() => void doContinue()}>
              {t('review.continueAnyway')}
            </button>
          </footer>
        </Modal>
      )}
      {blocked && (
        <Modal
          title={t('review.blockedTitle')}
          onClose={() => setBlocked(false)}
          size="sm"
          testId="review-blocked"
          initialFocus='[data-testid="review-blocked-review"]'
        >
          <div className="modal-body">
            <p className="confirm-text">
              {(() => {
                const open = items.filter(isUnresolved);
                const numbers = open.map((i) => i.shot_number).join(', ');
                return t('review.blockedText', { count: open.length, shots: numbers });
              })()}
            </p>
          </div>
          <footer className="modal-footer">
            <button
              type="button"
              className="button primary"
              data-testid="review-blocked-review"
              onClick={() => {
                setBlocked(false);
                const first = items.find(isUnresolved);
                if (first) {
                  wantThumbFocus.current = true;
                  dispatch({ type: 'filter', filter: 'all' });
                  dispatch({ type: 'select', key: first.item_key });
                }
              }}
            >
              {t('review.reviewThem')}
            </button>
            <button
              type="button"
              className="button secondary"
              data-testid="review-blocked-keep"
              disabled={items.some(isRedrawing)}
              title={items.some(isRedrawing) ? t('review.waitRedraws') : undefined}
              onClick={() => void doContinue(true)}
            >
              {t('review.keepCurrent')}
            </button>
          </footer>
        </Modal>
      )}
    </section>
  );
}

function serverCounts(items: readonly ReviewItem[]): Pick<Queue, 'approved' | 'rejected' | 'undecided'> {
  const c = reviewCounts(items);
  return { approved: c.approved, rejected: c.rejected, undecided: c.undecided };
}
