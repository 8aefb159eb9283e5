import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { loadOf } from '../../api/load';
import { keys } from '../../api/queries';
import {
  DEFAULT_MODE,
  isBatchActive,
  MAX_BATCH_URLS,
  refreshHistory,
  startBatch,
  useBatch,
  useBatches,
  type BatchJob,
  type Mode,
} from '../../api/summarize';
import { useLocale, useT } from '../../i18n';
import { formatCount, formatDateTime, formatNumber } from '../../lib/format';
import { BATCH_STATUS_LABELS, batchUrlMessage, checkBatchUrls, MODE_LABELS } from '../../lib/summarize';
import { apiErrorMessage, errorMessage } from '../../transport';
import { AlertIcon } from '../Icons';
import { ModeFocusFields } from './SummarizeForm';

/** How many of the workspace's earlier batches are shown under the form. */
export const RECENT_BATCHES = 5;

/**
 * Up to 20 addresses at once: one a line, checked before sending. Each batch shows as a card that
 * follows it (read every 2 s while it runs) with its results (links to the history) and errors.
 */
export function BatchSection({ canStart, onOpen }: { canStart: boolean; onOpen: (summaryId: string) => void }) {
  const t = useT();
  useLocale();
  const id = useId();
  const queryClient = useQueryClient();
  const [text, setText] = useState('');
  const [mode, setMode] = useState<Mode>(DEFAULT_MODE);
  const [focus, setFocus] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  // The batches started here, newest first (the list below adds the workspace's earlier ones).
  const [started, setStarted] = useState<string[]>([]);
  const recent = loadOf(useBatches());
  const lineCount = text.split(/\r\n|\r|\n/).filter((l) => l.trim()).length;

  async function submit(e: FormEvent) {
    e.preventDefault();
    const check = checkBatchUrls(text);
    if (!check.ok) {
      setError(batchUrlMessage(check));
      return;
    }
    setError(null);
    setSending(true);
    try {
      const created = await startBatch(queryClient, { urls: check.urls, mode, focus: focus.trim() || null });
      setStarted((s) => [created.job_id, ...s.filter((j) => j !== created.job_id)]);
      setText('');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setSending(false);
    }
  }

  const earlier = recent.kind === 'ready' ? recent.data.filter((b) => !started.includes(b.job_id)).slice(0, RECENT_BATCHES) : [];

  return (
    <section className="panel summarize-section" aria-labelledby={`${id}-title`} data-testid="batch-section">
      <h2 id={`${id}-title`}>{t('summarize.batch.title')}</h2>
      <p className="muted">{t('summarize.batch.intro', { max: MAX_BATCH_URLS })}</p>
      <form className="form" onSubmit={(e) => void submit(e)} noValidate>
        <div className="form-field">
          <label htmlFor={`${id}-urls`}>{t('summarize.batch.urls')}</label>
          <textarea
            id={`${id}-urls`}
            className={`input textarea${error ? ' invalid' : ''}`}
            rows={6}
            value={text}
            placeholder={t('summarize.batch.urlsPlaceholder')}
            data-testid="batch-urls"
            aria-invalid={error ? true : undefined}
            onChange={(e) => setText(e.target.value)}
          />
          <span className={`muted batch-count${lineCount > MAX_BATCH_URLS ? ' over' : ''}`} data-testid="batch-count">
            {t('summarize.batch.count', { count: lineCount, max: MAX_BATCH_URLS })}
          </span>
        </div>
        <ModeFocusFields id={id} mode={mode} focus={focus} onMode={setMode} onFocus={setFocus} testIdPrefix="batch" />
        {error && (
          <p className="field-error" role="alert" data-testid="batch-error">
            {error}
          </p>
        )}
        <p className="muted summarize-cost">{t('summarize.batch.costNote')}</p>
        <div>
          <button type="submit" className="button primary" disabled={!canStart || sending} data-testid="batch-start">
            {sending && <span className="spinner spinner-sm" aria-hidden="true" />}
            {t('summarize.batch.start')}
          </button>
        </div>
      </form>
      {(started.length > 0 || earlier.length > 0) && (
        <div className="batch-cards" data-testid="batch-cards">
          {started.map((jobId) => (
            <BatchCard key={jobId} jobId={jobId} onOpen={onOpen} />
          ))}
          {earlier.map((b) => (
            <BatchCard key={b.job_id} jobId={b.job_id} initial={b} onOpen={onOpen} />
          ))}
        </div>
      )}
    </section>
  );
}

/**
 * One batch, read every 2 s while it is pending or running. Each item it completes is a new
 * summary (and may have been charged): the history lists and the balance are read afresh then.
 */
function BatchCard({ jobId, initial, onOpen }: { jobId: string; initial?: BatchJob; onOpen: (summaryId: string) => void }) {
  const queryClient = useQueryClient();
  const read = useBatch(isBatchActive(initial?.status) || !initial ? jobId : null);
  const job = read.data ?? initial;
  const t = useT();
  const completed = read.data?.completed_count ?? 0;
  useEffect(() => {
    if (completed === 0) return;
    void refreshHistory(queryClient);
    void queryClient.invalidateQueries({ queryKey: keys.credits.all });
  }, [completed, queryClient]);
  if (!job) {
    return (
      <div className="batch-card" data-testid="batch-card" data-job-id={jobId}>
        {read.error ? (
          <p className="form-error" role="alert">
            {errorMessage(read.error)}
          </p>
        ) : (
          <span className="spinner" role="status" aria-label={t('common.loading')} />
        )}
      </div>
    );
  }
  return <BatchCardView job={job} onOpen={onOpen} />;
}

/** A batch's state: status, progress, cost, results (links to their summaries) and errors. */
export function BatchCardView({ job, onOpen }: { job: BatchJob; onOpen: (summaryId: string) => void }) {
  const t = useT();
  useLocale();
  const percent = Math.round(Math.min(1, Math.max(0, job.progress)) * 100);
  return (
    <div className="batch-card" data-testid="batch-card" data-job-id={job.job_id} data-status={job.status}>
      <div className="batch-card-head">
        <span className={`badge batch-status batch-status-${job.status}`} data-testid="batch-status">
          {BATCH_STATUS_LABELS[job.status] ?? job.status}
        </span>
        <span className="muted">
          {t('summarize.batch.done', { done: formatNumber(job.completed_count + job.failed_count), total: formatNumber(job.total) })}
          {' · '}
          {MODE_LABELS[job.mode] ?? job.mode}
          {' · '}
          {formatDateTime(job.created_at)}
        </span>
        <span className="chip" data-testid="batch-cost">
          {t('summarize.result.charged', { credits: formatCount('credit', job.credits_charged) })}
        </span>
      </div>
      {isBatchActive(job.status) && (
        <span className="progress progress-sm" role="progressbar" aria-label={t('summarize.progress.label')} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
          <span className="progress-fill" style={{ width: `${percent}%` }} />
        </span>
      )}
      {job.results.length > 0 && (
        <ul className="batch-results" data-testid="batch-results">
          {job.results.map((r) => (
            <li key={r.index}>
              <button type="button" className="link-like" data-testid="batch-result" onClick={() => onOpen(r.summary_id)}>
                {r.url}
              </button>
              <span className="muted"> {formatCount('credit', r.credits_charged)}</span>
            </li>
          ))}
        </ul>
      )}
      {job.errors.length > 0 && (
        <ul className="batch-errors" data-testid="batch-errors">
          {job.errors.map((e) => (
            <li key={e.index} data-testid="batch-item-error" data-code={e.code}>
              <AlertIcon size={12} /> <span className="batch-url">{e.url}</span> <code>{e.code}</code>{' '}
              <span>{apiErrorMessage({ detail: e.message, error_code: e.code })}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
