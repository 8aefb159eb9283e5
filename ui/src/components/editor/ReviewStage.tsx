import { useRef, type RefObject } from 'react';
import type { DialogueLine, ReviewItem } from '../../api/types';
import { useT } from '../../i18n';
import { commentKeyCommand, decisionGroup, isRedrawing } from '../../lib/review';
import { apiUrl } from '../../transport';
import { AlertIcon, CheckIcon, CloseIcon, ImageIcon, LockIcon, UploadIcon } from '../Icons';
import { AssetModelById } from './AssetModelLabel';

function dialogueLines(d: unknown): DialogueLine[] {
  if (!Array.isArray(d)) return [];
  return d.filter((l): l is DialogueLine => !!l && typeof l === 'object' && typeof (l as DialogueLine).text === 'string');
}

interface StageProps {
  /** The shot shown large. */
  item: ReviewItem;
  /** The review takes decisions (it is waiting and not being continued). */
  open: boolean;
  frameRef: RefObject<HTMLElement | null>;
  frameHeight: number | null;
  actualSize: boolean;
  onToggleZoom: () => void;
  onSelectCandidate: (assetId: string) => void;
  /** Rejects the shot again with its comment (its redraw failed). */
  onRedrawAgain: () => void;
  commenting: boolean;
  comment: string;
  onComment: (text: string) => void;
  commentRef: RefObject<HTMLTextAreaElement | null>;
  onCommentFocus: () => void;
  onCommentCancel: () => void;
  onApprove: () => void;
  /** Rejects with the comment typed. */
  onReject: () => void;
  /** Opens the comment box for a rejection (or rejects a locked shot, which says why not). */
  onStartReject: () => void;
  onUnlock: () => void;
  uploading: boolean;
  onUpload: (file: File) => Promise<void>;
}

/** The review's stage: the current shot's frame (with its candidates), its details and the decision controls. */
export function ReviewStage({
  item,
  open,
  frameRef,
  frameHeight,
  actualSize,
  onToggleZoom,
  onSelectCandidate,
  onRedrawAgain,
  commenting,
  comment,
  onComment,
  commentRef,
  onCommentFocus,
  onCommentCancel,
  onApprove,
  onReject,
  onStartReject,
  onUnlock,
  uploading,
  onUpload,
}: StageProps) {
  const t = useT();
  const fileRef = useRef<HTMLInputElement>(null);
  const lines = dialogueLines(item.dialogue);
  const image = apiUrl(item.image_url);
  return (
    <div className="review-stage">
      <figure
        ref={frameRef}
        style={frameHeight ? { height: frameHeight } : undefined}
        className={`review-frame${actualSize ? ' actual-size' : ''}`}
        data-testid="review-frame"
        data-item-key={item.item_key}
        data-asset-id={item.asset_id ?? ''}
        data-zoom={actualSize ? '100' : 'fit'}
      >
        {image ? (
          <img src={image} alt={t('review.keyframeAlt', { shot: item.shot_number })} data-testid="review-image" />
        ) : (
          <span className="review-frame-missing">
            <ImageIcon size={32} />
            {t('review.noKeyframe')}
          </span>
        )}
        {item.asset_id && (
          <span className="review-model">
            <AssetModelById assetId={item.asset_id} />
          </span>
        )}
        {item.locked && (
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
            onClick={onToggleZoom}
          >
            {actualSize ? t('review.fit') : '100%'} <kbd>Z</kbd>
          </button>
        )}
        {isRedrawing(item) && (
          <span className="review-redrawing" role="status" data-testid="review-redrawing">
            <span className="spinner" aria-hidden="true" /> {t('review.redrawing')}
          </span>
        )}
      </figure>
      {(item.candidates?.length ?? 0) > 1 && (
        <div className="review-candidates" role="group" aria-label={t('review.candidates')} data-testid="review-candidates">
          {item.candidates?.map((c, i) => (
            <button
              key={c.asset_id}
              type="button"
              className={`review-candidate${c.asset_id === item.asset_id ? ' selected' : ''}`}
              aria-pressed={c.asset_id === item.asset_id}
              disabled={!open}
              data-testid="review-candidate"
              onClick={() => onSelectCandidate(c.asset_id)}
            >
              <img src={apiUrl(c.image_url) ?? undefined} alt={t('review.candidateAlt', { n: i + 1, shot: item.shot_number })} />
            </button>
          ))}
        </div>
      )}
      <div className="review-side">
        <p className="review-shot-number" data-testid="review-shot-number">
          {t('review.shotNumber', { scene: item.scene_number, shot: item.shot_number })}
          <span className={`decision-badge decision-${decisionGroup(item.decision)}`} data-testid="review-decision" data-decision={item.decision ?? ''}>
            {item.decision == null
              ? item.redrawn_after
                ? t('review.decision.newFrame')
                : t('review.decision.undecided')
              : item.decision === 'reject'
                ? isRedrawing(item)
                  ? t('review.decision.rejectedRedrawing')
                  : t('review.decision.rejected')
                : t('review.decision.approved')}
          </span>
        </p>
        {item.redrawn_after && (
          <div className="review-redrawn" data-testid="review-redrawn">
            {item.redrawn_after.asset_id && (
              <img
                src={apiUrl(`/api/v1/assets/${item.redrawn_after.asset_id}/download`) ?? undefined}
                alt={t('review.rejectedFrameAlt', { shot: item.shot_number })}
              />
            )}
            <p>
              {item.redrawn_after.comment ? (
                <>
                  {t('review.redrawnAfterComment')}
                  <q data-testid="review-redrawn-comment">{item.redrawn_after.comment}</q>
                </>
              ) : (
                t('review.redrawnAfter')
              )}
            </p>
          </div>
        )}
        {item.redraw?.status === 'failed' && (
          <div className="review-redraw-failed" role="alert" data-testid="review-redraw-failed">
            <AlertIcon size={16} />
            <span>{t('review.redrawFailed', { error: item.redraw.error })}</span>
            <button type="button" className="button secondary button-sm" disabled={!open} onClick={onRedrawAgain}>
              {t('review.redrawAgain')}
            </button>
          </div>
        )}
        <p className="review-description" data-testid="review-description">
          {item.description || <span className="muted">{t('review.noDescription')}</span>}
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
        {item.comment && item.decision === 'reject' && (
          <p className="review-comment-shown" data-testid="review-item-comment">
            “{item.comment}”
          </p>
        )}
        <label className="review-comment-label" htmlFor="review-comment">
          {t('review.comment')} {commenting ? <span className="muted">{t('review.commentHint')}</span> : null}
        </label>
        <textarea
          id="review-comment"
          ref={commentRef}
          className={`input review-comment${commenting ? ' commenting' : ''}`}
          data-testid="review-comment"
          rows={3}
          maxLength={2000}
          value={comment}
          disabled={!open}
          placeholder={t('review.commentPlaceholder')}
          onChange={(e) => onComment(e.target.value)}
          onFocus={() => {
            if (!commenting) onCommentFocus();
          }}
          onKeyDown={(e) => {
            const cmd = commentKeyCommand({ ...e, isComposing: e.nativeEvent.isComposing });
            if (!cmd) return;
            e.preventDefault();
            if (cmd === 'submit') {
              onReject();
            } else {
              onCommentCancel();
              commentRef.current?.blur();
            }
          }}
        />
        <div className="review-actions">
          <button type="button" className="button primary" data-testid="review-approve" disabled={!open} onClick={onApprove} aria-keyshortcuts="A">
            <CheckIcon /> {t('review.approve')} <kbd>A</kbd>
          </button>
          <button
            type="button"
            className="button danger"
            data-testid="review-reject"
            disabled={!open}
            onClick={() => (commenting || comment.trim() ? onReject() : onStartReject())}
            aria-keyshortcuts="R"
          >
            <CloseIcon /> {t('review.reject')} <kbd>R</kbd>
          </button>
          <button type="button" className="button secondary" data-testid="review-unlock" disabled={!open || !item.locked} onClick={onUnlock} aria-keyshortcuts="U">
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
              if (f)
                void onUpload(f).finally(() => {
                  if (fileRef.current) fileRef.current.value = '';
                });
            }}
          />
        </div>
      </div>
    </div>
  );
}
