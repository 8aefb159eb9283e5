import { type ReactNode } from 'react';
import { type ExportEstimate } from '../../api/types';
import { type ExportFormField } from '../../lib/exportSettings';
import { costText, formatEncodeTime, quotaText, videoLengthText } from '../../lib/exportStatus';
import { useT } from '../../i18n';
import { formatCount, formatNumber } from '../../lib/format';
import { type EstimateKind } from './useExportData';

/** The run-status colour classes: processing looks like a running run. */
export function statusClass(status: string): string {
  return status === 'processing' ? 'running' : status;
}

export function FieldError({ field, message }: { field: string; message?: string | undefined }) {
  if (!message) return null;
  return (
    <p className="field-error" id={`export-${field}-error`} data-testid={`export-field-error-${field}`} role="alert">
      {message}
    </p>
  );
}

interface ChoiceOption<T extends string> {
  value: T;
  label: ReactNode;
  hint?: string | undefined;
}

/** A row of radio buttons that looks like a segmented control (arrow keys move, Enter starts). */
export function ChoiceGroup<T extends string>({
  field,
  legend,
  value,
  options,
  onChange,
  error,
  note,
}: {
  field: ExportFormField;
  legend: string;
  value: T;
  options: ChoiceOption<T>[];
  onChange: (v: T) => void;
  error?: string | undefined;
  note?: string;
}) {
  return (
    <fieldset className="form-field" aria-describedby={error ? `export-${field}-error` : undefined}>
      <legend>
        {legend}
        {note && <span className="optional" data-testid={`export-${field}-note`}>{note}</span>}
      </legend>
      <div className={`choice-group${error ? ' invalid' : ''}`} role="radiogroup" aria-label={legend} data-export-field={field} aria-invalid={error ? true : undefined}>
        {options.map((o) => (
          <label key={o.value} className={`choice${value === o.value ? ' selected' : ''}`} data-testid={`export-${field}-${o.value}`}>
            <input type="radio" name={`export-${field}`} value={o.value} checked={value === o.value} onChange={() => onChange(o.value)} />
            <span className="choice-label">{o.label}</span>
            {o.hint && <span className="choice-hint">{o.hint}</span>}
          </label>
        ))}
      </div>
      <FieldError field={field} message={error} />
    </fieldset>
  );
}

export function EstimatePanel({
  estimate,
  state,
  fresh,
}: {
  estimate: ExportEstimate | null;
  state: EstimateKind;
  fresh: boolean;
}) {
  const t = useT();
  return (
    <section
      className={`export-estimate${fresh ? '' : ' stale'}`}
      data-testid="export-estimate"
      data-state={fresh ? 'ready' : state}
      data-resolution={estimate?.resolution ?? ''}
      data-format={estimate?.format ?? ''}
      data-video-length={estimate?.video_length ?? ''}
      data-frames={estimate?.frames ?? ''}
      data-cost={estimate?.estimated_cost ?? ''}
      data-sufficient={estimate ? String(estimate.sufficient_quota) : ''}
      aria-busy={!fresh}
      aria-label={t('exportDialog.estimate')}
    >
      <h3>
        {t('exportDialog.estimate')} {!fresh && state === 'loading' && <span className="spinner spinner-sm" aria-hidden="true" />}
      </h3>
      {estimate ? (
        <dl className="export-estimate-facts">
          <div>
            <dt>{t('exportDialog.videoLength')}</dt>
            <dd data-testid="estimate-length">{videoLengthText(estimate.video_length)}</dd>
          </div>
          <div>
            <dt>{t('exportDialog.frames')}</dt>
            <dd data-testid="estimate-frames">{t('exportDialog.framesAt', { frames: formatNumber(estimate.frames), fps: estimate.fps })}</dd>
          </div>
          <div>
            <dt>{t('exportDialog.picture')}</dt>
            <dd>
              {estimate.width}×{estimate.height} · {formatCount('shot', estimate.shots)}
            </dd>
          </div>
          <div>
            <dt>{t('exportDialog.cost')}</dt>
            <dd data-testid="estimate-cost">{costText(estimate.estimated_cost)}</dd>
          </div>
          <div>
            <dt>{t('exportDialog.encoding')}</dt>
            <dd data-testid="estimate-time">{formatEncodeTime(estimate.estimated_duration)}</dd>
          </div>
          <div className={estimate.sufficient_quota ? undefined : 'export-quota-short'}>
            <dt>{t('exportDialog.budget')}</dt>
            <dd data-testid="estimate-quota">{quotaText(estimate)}</dd>
          </div>
        </dl>
      ) : state === 'error' ? (
        <p className="muted">{t('exportDialog.noEstimate')}</p>
      ) : (
        <p className="muted">{t('exportDialog.workingOut')}</p>
      )}
    </section>
  );
}
