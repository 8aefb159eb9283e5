import type { ReviewItem } from '../../api/types';
import { useT } from '../../i18n';
import { isRedrawing, isUnresolved } from '../../lib/review';
import { Modal } from '../Modal';

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

/** The shortcut sheet (`?`). */
export function ReviewHelpDialog({ onClose }: { onClose: () => void }) {
  const t = useT();
  return (
    <Modal title={t('review.helpTitle')} onClose={onClose} size="sm" testId="review-help">
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
  );
}

/** "Continue anyway?" while shots are undecided. */
export function ReviewConfirmDialog({ undecided, onClose, onContinue }: { undecided: number; onClose: () => void; onContinue: () => void }) {
  const t = useT();
  return (
    <Modal title={t('review.confirmTitle')} onClose={onClose} size="sm" testId="review-confirm" initialFocus='[data-testid="review-confirm-cancel"]'>
      <div className="modal-body">
        <p className="confirm-text">
          {t('review.confirmText', { count: undecided })}
        </p>
      </div>
      <footer className="modal-footer">
        <button type="button" className="button secondary" data-testid="review-confirm-cancel" onClick={onClose}>
          {t('review.keepReviewing')}
        </button>
        <button type="button" className="button primary" data-testid="review-confirm-continue" onClick={onContinue}>
          {t('review.continueAnyway')}
        </button>
      </footer>
    </Modal>
  );
}

/**
 * The gate is shut (rejections without an approved redraw): review them, or go on keeping the
 * current frames.
 */
export function ReviewBlockedDialog({
  items,
  onClose,
  onReview,
  onKeep,
}: {
  items: ReviewItem[];
  onClose: () => void;
  /** Shows the first unresolved shot. */
  onReview: (first: ReviewItem | undefined) => void;
  onKeep: () => void;
}) {
  const t = useT();
  return (
    <Modal
      title={t('review.blockedTitle')}
      onClose={onClose}
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
          onClick={() => onReview(items.find(isUnresolved))}
        >
          {t('review.reviewThem')}
        </button>
        <button
          type="button"
          className="button secondary"
          data-testid="review-blocked-keep"
          disabled={items.some(isRedrawing)}
          title={items.some(isRedrawing) ? t('review.waitRedraws') : undefined}
          onClick={onKeep}
        >
          {t('review.keepCurrent')}
        </button>
      </footer>
    </Modal>
  );
}
