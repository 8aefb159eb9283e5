import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { Run, StepStatus } from '../../api/types';
import { useT } from '../../i18n';
import { stepStatusLabel } from '../../lib/editorLabels';
import { REVIEW_FILTERS, continueMode, decisionGroup, reviewCounts, reviewKeyCommand, visibleItems, type ReviewFilter } from '../../lib/review';
import { apiUrl } from '../../transport';
import { AlertIcon, CheckIcon, CloseIcon, LockIcon } from '../Icons';
import { ReviewBlockedDialog, ReviewConfirmDialog, ReviewHelpDialog } from './ReviewDialogs';
import { ReviewStage } from './ReviewStage';
import { useReviewQueue } from './useReviewQueue';

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

interface Props {
  nodeRunId: string;
  /** The review node's status; the queue is re-read when it changes. */
  nodeStatus: StepStatus;
  onContinued: (run: Run) => void;
}

/**
 * A review node's queue: one shot large with its decision controls (`ReviewStage`), the filmstrip
 * of all shots, page-wide shortcuts, and "Continue". The data and the decisions are
 * `useReviewQueue`.
 */
export function ReviewQueue({ nodeRunId, nodeStatus, onContinued }: Props) {
  const t = useT();
  const filterLabel = (f: ReviewFilter) => t(`review.filter.${f}`);
  const review = useReviewQueue({ nodeRunId, nodeStatus, onContinued });
  const { queue, state, dispatch, items, current, open, wantThumbFocus } = review;
  const [comment, setComment] = useState('');
  const [confirming, setConfirming] = useState(false);
  /** The gate is shut (rejections without an approved redraw): the dialog that says so is open. */
  const [blocked, setBlocked] = useState(false);
  /** The frame at 100% (scrollable) instead of whole in its box. */
  const [actualSize, setActualSize] = useState(false);
  const thumbs = useRef(new Map<string, HTMLButtonElement>());
  const commentRef = useRef<HTMLTextAreaElement>(null);
  const frameRef = useRef<HTMLElement>(null);
  /** The frame box's height: what the window leaves below the box's place on the page. */
  const [frameHeight, setFrameHeight] = useState<number | null>(null);

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

  function decideCurrent(decision: 'approve' | 'reject' | 'unlock', text = '') {
    if (review.decideCurrent(decision, text) && decision === 'reject') setComment('');
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

  function doContinue(keepUnresolved = false) {
    setConfirming(false);
    setBlocked(false);
    void review.doContinue(keepUnresolved);
  }

  function requestContinue() {
    const mode = continueMode(review.itemsNow());
    if (mode === 'empty' || !open) return;
    if (mode === 'blocked') setBlocked(true);
    else if (mode === 'confirm') setConfirming(true);
    else doContinue();
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

  if (review.loadError && !queue) {
    return (
      <section className="panel">
        <div className="load-error" role="alert" data-testid="review-error">
          <AlertIcon size={22} />
          <div>
            <h2>{t('review.loadError')}</h2>
            <p>{review.loadError}</p>
          </div>
          <button type="button" className="button secondary" onClick={review.reload}>
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
            {review.continuing ? t('review.continuing') : t('review.continue')}
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
          <ReviewStage
            item={current}
            open={open}
            frameRef={frameRef}
            frameHeight={frameHeight}
            actualSize={actualSize}
            onToggleZoom={() => setActualSize((z) => !z)}
            onSelectCandidate={review.selectCandidate}
            onRedrawAgain={() => decideCurrent('reject', current.comment ?? '')}
            commenting={state.commenting}
            comment={comment}
            onComment={setComment}
            commentRef={commentRef}
            onCommentFocus={() => dispatch({ type: 'comment' })}
            onCommentCancel={() => {
              dispatch({ type: 'cancel-comment' });
              wantThumbFocus.current = true;
            }}
            onApprove={() => decideCurrent('approve', comment)}
            onReject={() => decideCurrent('reject', comment)}
            onStartReject={startReject}
            onUnlock={() => decideCurrent('unlock')}
            uploading={review.uploading}
            onUpload={review.upload}
          />
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
        {review.announce}
      </span>

      {state.help && <ReviewHelpDialog onClose={() => dispatch({ type: 'close-help' })} />}
      {confirming && <ReviewConfirmDialog undecided={counts.undecided} onClose={() => setConfirming(false)} onContinue={() => doContinue()} />}
      {blocked && (
        <ReviewBlockedDialog
          items={items}
          onClose={() => setBlocked(false)}
          onReview={(first) => {
            setBlocked(false);
            if (first) {
              wantThumbFocus.current = true;
              dispatch({ type: 'filter', filter: 'all' });
              dispatch({ type: 'select', key: first.item_key });
            }
          }}
          onKeep={() => doContinue(true)}
        />
      )}
    </section>
  );
}
