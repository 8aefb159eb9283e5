import type { SummaryStreamState } from '../../api/summarize';
import { useLocale, useT } from '../../i18n';
import { formatNumber } from '../../lib/format';
import { lostMessage, stageLabel } from '../../lib/summarize';
import { apiErrorMessage } from '../../transport';
import { AlertIcon } from '../Icons';

interface Props {
  state: SummaryStreamState;
  onCancel: () => void;
  /** Start again with the same input (shown for a retryable error). */
  onRetry?: () => void;
}

/**
 * A running summary: the stage, the server's message and a progress bar; then what went wrong
 * (an `error` event, a refused request, a stream that was lost). Nothing while idle or done.
 */
export function StreamProgress({ state, onCancel, onRetry }: Props) {
  const t = useT();
  useLocale();
  if (state.phase === 'idle' || state.phase === 'done') return null;
  if (state.phase === 'error' && state.error) {
    const e = state.error;
    return (
      <div className="summarize-alert form-error" role="alert" data-testid="summarize-error" data-code={e.code}>
        <AlertIcon size={14} />
        <span>
          {apiErrorMessage({ detail: e.message, error_code: e.code, ...(e.field ? { field: e.field } : {}) })}
          {e.code === 'NO_TRANSCRIPT' && <> {t('summarize.progress.noTranscriptHint')}</>}
          {' '}
          {t('summarize.progress.notCharged')}
        </span>
        {e.retryable && onRetry && (
          <button type="button" className="button secondary button-sm" data-testid="summarize-retry" onClick={onRetry}>
            {t('common.tryAgain')}
          </button>
        )}
      </div>
    );
  }
  if (state.phase === 'lost' && state.lost) {
    return (
      <p className="summarize-alert parse-note" role="status" data-testid="summarize-lost" data-reason={state.lost}>
        <AlertIcon size={14} /> {lostMessage(state.lost)}
      </p>
    );
  }
  if (state.phase === 'cancelled') {
    return (
      <p className="muted" role="status" data-testid="summarize-cancelled">
        {t('summarize.progress.cancelled')}
      </p>
    );
  }
  const percent = state.progress === null ? null : Math.round(state.progress * 100);
  return (
    <div className="summarize-progress" data-testid="summarize-progress" data-stage={state.stage ?? ''}>
      <div className="summarize-progress-head">
        <span className="spinner spinner-sm" aria-hidden="true" />
        <strong data-testid="summarize-stage">{state.stage ? stageLabel(state.stage, state.message) : t('summarize.progress.starting')}</strong>
        {percent !== null && <span className="muted">{t('summarize.progress.percent', { percent: formatNumber(percent) })}</span>}
        <button type="button" className="button secondary button-sm summarize-cancel" data-testid="summarize-cancel" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
      <span
        className="progress progress-sm"
        role="progressbar"
        aria-label={t('summarize.progress.label')}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent ?? undefined}
      >
        <span className={`progress-fill${percent === null ? ' summarize-indeterminate' : ''}`} style={{ width: `${percent ?? 100}%` }} />
      </span>
      {state.message && (
        <p className="muted summarize-message" data-testid="summarize-message">
          {state.message}
        </p>
      )}
      {state.phase === 'reconnecting' && (
        <p className="parse-note" role="status" data-testid="summarize-reconnecting">
          {t('summarize.progress.reconnecting')}
        </p>
      )}
      {state.transcript && (
        <p className="muted" data-testid="summarize-transcript-ready">
          {t('summarize.progress.transcriptReady', { count: state.transcript.segments.length, formatted: formatNumber(state.transcript.segments.length) })}
        </p>
      )}
    </div>
  );
}
