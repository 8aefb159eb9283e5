import { useEffect, useRef } from 'react';
import type { WritingErrorData } from '../../api/create';
import { useLocale, useT } from '../../i18n';
import { creditsUsedLabel, type WritingStreamState } from '../../lib/create';
import { formatCount } from '../../lib/format';
import { routeHash } from '../../lib/route';
import { apiErrorMessage } from '../../transport';
import { AlertIcon } from '../Icons';
import { CreationEditor } from './CreationEditor';
import { ModelName } from './ModelName';

/** The error in the UI's language, saying nothing was charged (unless the server's words say so already). */
export function errorText(error: WritingErrorData, notCharged: string): string {
  const message = apiErrorMessage({ detail: error.message, error_code: error.code, ...(error.field ? { field: error.field } : {}) });
  return /\bcharged\b/i.test(message) ? message : `${message} ${notCharged}`;
}

interface Props {
  state: WritingStreamState;
  /** Stop watching (the server finishes and saves it all the same). */
  onCancel: () => void;
  /** Generate again with the same request (shown for a retryable error). */
  onRetry?: (() => void) | undefined;
  canEdit: boolean;
  /** Told whether the finished text has edits not saved yet. */
  onDirtyChange?: ((dirty: boolean) => void) | undefined;
}

/**
 * A generation: the text as it streams (read-only, growing), with Stop watching; what went wrong
 * (with Try again when it may work next time); and once done, the saved creation to edit, copy or
 * open as a project, with what it cost.
 */
export function GenerationPanel({ state, onCancel, onRetry, canEdit, onDirtyChange }: Props) {
  const t = useT();
  useLocale();
  const previewRef = useRef<HTMLDivElement | null>(null);

  // Follow the text as it grows, unless the person scrolled up to read.
  useEffect(() => {
    const el = previewRef.current;
    if (!el) return;
    if (el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight;
  }, [state.text]);

  const creationsLink = (
    <a href={routeHash({ name: 'creations' })} data-testid="generation-creations-link">
      {t('create.result.openCreations')}
    </a>
  );

  if (state.status === 'idle') {
    return (
      <p className="muted generation-empty" data-testid="generation-idle">
        {t('create.result.empty')}
      </p>
    );
  }

  if (state.status === 'done' && state.result) {
    const r = state.result;
    return (
      <section className="generation" data-testid="generation-done" data-creation-id={r.creation_id}>
        <CreationEditor
          key={r.creation_id}
          creation={r.creation}
          canEdit={canEdit}
          onDirtyChange={onDirtyChange}
          meta={
            <>
              <span className="chip" data-testid="generation-model">
                <ModelName id={r.creation.model} />
              </span>
              <span className="chip" data-testid="generation-credits">
                {creditsUsedLabel(r.credits_used)}
              </span>
            </>
          }
        />
        <p className="muted create-hint">{creationsLink}</p>
      </section>
    );
  }

  const active = state.status === 'sending' || state.status === 'streaming';
  return (
    <section className="generation" data-testid="generation" data-status={state.status} aria-busy={active}>
      {active && (
        <div className="generation-head" data-testid="generation-progress">
          <span className="spinner spinner-sm" aria-hidden="true" />
          <strong>{state.status === 'sending' ? t('create.result.sending') : t('create.result.writing')}</strong>
          {state.model && (
            <span className="chip" data-testid="generation-model">
              <ModelName id={state.model} />
            </span>
          )}
          {state.estimate !== null && state.estimate > 0 && (
            <span className="chip" data-testid="generation-held">
              {t('create.result.held', { credits: formatCount('credit', state.estimate) })}
            </span>
          )}
          <button type="button" className="button secondary button-sm generation-cancel" data-testid="generation-cancel" onClick={onCancel}>
            {t('create.result.stopWatching')}
          </button>
        </div>
      )}
      {active && <p className="muted create-hint">{t('create.result.stopNote')}</p>}
      {state.attempt > 1 && active && (
        <p className="parse-note" role="status" data-testid="generation-restart">
          {t('create.result.restarted', { attempt: state.attempt })}
        </p>
      )}
      {state.status === 'error' && state.error && (
        <div className="form-error generation-alert" role="alert" data-testid="generation-error" data-code={state.error.code}>
          <AlertIcon size={14} />
          <span>{errorText(state.error, t('create.result.notCharged'))}</span>
          {state.error.retryable && onRetry && (
            <button type="button" className="button secondary button-sm" data-testid="generation-retry" onClick={onRetry}>
              {t('common.tryAgain')}
            </button>
          )}
        </div>
      )}
      {state.status === 'cancelled' && (
        <p className="parse-note" role="status" data-testid="generation-cancelled">
          {t('create.result.cancelled')} {creationsLink}
        </p>
      )}
      {state.status === 'lost' && (
        <p className="parse-note" role="status" data-testid="generation-lost">
          {t('create.result.lost')} {creationsLink}
        </p>
      )}
      {(active || state.text) && (
        <div
          ref={previewRef}
          className="generation-preview"
          data-testid="generation-preview"
          aria-live="off"
          aria-label={t('create.result.preview')}
          role="document"
          tabIndex={0}
        >
          {state.text || <span className="muted">{t('create.result.waiting')}</span>}
        </div>
      )}
    </section>
  );
}
