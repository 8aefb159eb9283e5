import { useEffect, useMemo, useRef, useState } from 'react';
import type { RunAction, Step } from '../../api/types';
import { cancelRun, pauseRun, resumeRun, retryRun, startRun } from '../../api/workflows';
import { dagGeometry, fitZoom, layerDag } from '../../lib/dag';
import { formatCount } from '../../lib/format';
import { t as translate, useLocale, useT } from '../../i18n';
import { nodeLabel, runStatusLabel, stepStatusLabel, templateName } from '../../lib/editorLabels';
import { isRunFinished } from '../../lib/liveRun';
import { canBecome, RUN_TRANSITIONS } from '../../lib/states';
import { costText, runCost, stepCost } from '../../lib/providers';
import { navigate } from '../../lib/navigate';
import { errorMessage } from '../../transport';
import { AlertIcon, FilmIcon, PauseIcon, PlayIcon, RestoreIcon, StopIcon } from '../Icons';
import { RunEstimate } from '../RunEstimate';
import { useToasts } from '../Toasts';
import { ReviewQueue } from './ReviewQueue';
import { useFollowedRun, useRunGraph, useTemplateChoices } from './useRun';

/** Tall enough for the cost line and two lines of a failed node's error. */
const CARD = { cardWidth: 170, cardHeight: 150, colGap: 34, rowGap: 22, padding: 14 };

type ControlName = 'pause' | 'resume' | 'cancel' | 'retry';

/**
 * Which controls a run in `status` offers: each is an edge of the server's table. A resume is the
 * way from `paused` to `running`; a retry starts a run that is over (failed or cancelled) again.
 */
export function runControls(status: string): Record<ControlName, boolean> {
  return {
    pause: canBecome(RUN_TRANSITIONS, status, 'paused'),
    resume: status === 'paused' && canBecome(RUN_TRANSITIONS, status, 'running'),
    cancel: canBecome(RUN_TRANSITIONS, status, 'cancelled'),
    retry: isRunFinished(status) && canBecome(RUN_TRANSITIONS, status, 'running'),
  };
}

function percent(p: number): number {
  return Math.round(Math.min(1, Math.max(0, p)) * 100);
}

function stepProgress(s: Step): number {
  if (s.items_total > 0) return s.items_done / s.items_total;
  if (s.status === 'completed') return 1;
  return s.progress;
}

function formatCredits(n: number): string {
  return n === 0 ? translate('runs.free') : formatCount('credit', n);
}

const STEP_DONE = new Set(['completed', 'failed', 'cancelled']);

export function RunsTab({
  projectId,
  versionId,
  view,
  onExport,
}: {
  projectId: string;
  versionId: string;
  view: 'run' | 'review';
  /** Opens the export dialog (offered once the run has completed). */
  onExport?: () => void;
}) {
  const t = useT();
  const locale = useLocale();
  const toasts = useToasts();
  const { load, run, live, stale, reload, showRun, applyAction, refresh } = useFollowedRun(projectId, versionId);
  /** `name` is the server's; the shown name is `templateName(id, name)` (translated for built-ins). */
  const templates = useTemplateChoices();
  const [templateId, setTemplateId] = useState<string>('animatic');
  const [busy, setBusy] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  // The template graph the run was started from (its exact version), for the layout.
  const shownGraph = useRunGraph(run);

  const steps = run?.steps ?? [];
  const dagScrollRef = useRef<HTMLDivElement>(null);
  const [dagWidth, setDagWidth] = useState(0);
  useEffect(() => {
    const el = dagScrollRef.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => setDagWidth(el.clientWidth));
    ro.observe(el);
    setDagWidth(el.clientWidth);
    return () => ro.disconnect();
  });
  const layout = useMemo(() => {
    const ids = new Set<string>();
    const nodes: { id: string }[] = [];
    for (const n of shownGraph?.nodes ?? []) if (!ids.has(n.id)) (ids.add(n.id), nodes.push({ id: n.id }));
    for (const s of steps) if (!ids.has(s.node_id)) (ids.add(s.node_id), nodes.push({ id: s.node_id }));
    return dagGeometry(layerDag(nodes, shownGraph?.edges ?? []), CARD);
    // The layout depends on the node ids only, not on every progress tick.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shownGraph, steps.map((s) => s.node_id).join('\u0000')]);
  // The whole graph fits the panel's width (scaled down to 60% at most; past that it scrolls), so
  // the last nodes are not cut off at the right edge.
  const dagZoom = fitZoom(layout.width, dagWidth);

  async function start() {
    setBusy('start');
    try {
      const r = await startRun({ project_id: projectId, version_id: versionId, template_id: templateId });
      setSelected(null);
      showRun(r);
      toasts.show({ kind: 'success', message: t('runs.started', { template: templateName(r.template_id, r.template_id) }) });
      if (view === 'review') navigate({ name: 'project', id: projectId, tab: 'runs' });
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
      if ((e as { status?: number }).status === 409) reload();
    } finally {
      setBusy(null);
    }
  }

  async function control(name: ControlName) {
    if (!run) return;
    const fns: Record<ControlName, (id: string) => Promise<RunAction>> = {
      pause: pauseRun,
      resume: resumeRun,
      cancel: cancelRun,
      retry: retryRun,
    };
    setBusy(name);
    try {
      const res = await fns[name](run.id);
      applyAction(res.run);
      // The server's message is English; the catalogue says the same per control.
      toasts.show({ kind: 'info', message: locale === 'en' ? res.message : t(`runs.controlDone.${name}`) });
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
      refresh();
    } finally {
      setBusy(null);
    }
  }

  if (load.kind === 'loading') {
    return <span className="spinner" role="status" aria-label={t('runs.loading')} />;
  }
  if (load.kind === 'error') {
    return (
      <section className="panel">
        <div className="load-error" role="alert" data-testid="runs-error">
          <AlertIcon size={22} />
          <div>
            <h2>{t('runs.loadError')}</h2>
            <p>{load.message}</p>
          </div>
          <button type="button" className="button secondary" onClick={reload}>
            {t('common.tryAgain')}
          </button>
        </div>
      </section>
    );
  }

  const active = run !== null && !isRunFinished(run.status);
  const controls = runControls(run?.status ?? '');
  const chosenName = templateName(templateId, templates.find((tpl) => tpl.id === templateId)?.name);
  // English reads "Run animatic"; other languages keep the name as it is.
  const chosenInSentence = locale === 'en' ? chosenName.toLowerCase() : chosenName;
  const reviewStep =
    steps.find((s) => s.kind === 'review' && s.status === 'waiting') ??
    (view === 'review' ? [...steps].reverse().find((s) => s.kind === 'review' && s.status !== 'pending') : undefined);
  const showReview = run !== null && reviewStep !== undefined && (run.status === 'waiting_review' || view === 'review');
  const selectedStep =
    steps.find((s) => s.node_id === selected) ??
    steps.find((s) => s.node_id === run?.current_step) ??
    steps.find((s) => s.status === 'failed') ??
    steps.find((s) => s.status === 'running') ??
    steps[0] ??
    null;

  return (
    <div className="runs" data-testid="runs">
      <div className="toolbar run-toolbar">
        <label className="inline-field">
          <span>{t('runs.templateLabel')}</span>
          <select
            className="input input-sm select"
            data-testid="run-template"
            value={templateId}
            disabled={busy !== null}
            onChange={(e) => setTemplateId(e.target.value)}
          >
            {templates.map((tpl) => (
              <option key={tpl.id} value={tpl.id}>
                {templateName(tpl.id, tpl.name)}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="button primary"
          data-testid="run-start"
          disabled={busy !== null || active}
          title={active ? t('runs.alreadyRunning') : undefined}
          onClick={() => void start()}
        >
          <PlayIcon />
          {busy === 'start' ? t('runs.starting') : t('runs.start', { template: chosenInSentence })}
        </button>
        {!active && <RunEstimate projectId={projectId} templateId={templateId} />}
        {run && (
          <div className="run-controls" role="group" aria-label={t('runs.controls')}>
            <button type="button" className="button secondary" data-testid="run-pause" disabled={!controls.pause || busy !== null} onClick={() => void control('pause')}>
              <PauseIcon />
              {t('runs.pause')}
            </button>
            <button type="button" className="button secondary" data-testid="run-resume" disabled={!controls.resume || busy !== null} onClick={() => void control('resume')}>
              <PlayIcon />
              {t('runs.resume')}
            </button>
            <button type="button" className="button secondary" data-testid="run-cancel" disabled={!controls.cancel || busy !== null} onClick={() => void control('cancel')}>
              <StopIcon />
              {t('runs.cancel')}
            </button>
            <button type="button" className="button secondary" data-testid="run-retry" disabled={!controls.retry || busy !== null} onClick={() => void control('retry')} title={t('runs.retryTitle')}>
              <RestoreIcon />
              {t('runs.retry')}
            </button>
          </div>
        )}
      </div>

      {!run && (
        <section className="panel">
          <div className="empty-state" data-testid="runs-empty">
            <h2>{t('runs.emptyTitle')}</h2>
            <p>{t('runs.emptyBody', { template: chosenInSentence })}</p>
          </div>
        </section>
      )}

      {run && (
        <>
          <section className="panel run-summary" data-testid="run-summary" data-run-id={run.id} data-status={run.status}>
            <div className="run-summary-line">
              <span className={`run-status run-status-${run.status}`} data-testid="run-status" data-status={run.status}>
                <span className="status-dot" aria-hidden="true" />
                {runStatusLabel(run.status)}
              </span>
              <span className="muted">
                {templateName(run.template_id, run.template_id)} · {run.template_version_id}
              </span>
              <RunCost steps={steps} actual={run.cost_credits} finished={isRunFinished(run.status)} />
              <span className="run-live muted" data-testid="run-live" data-mode={live ?? ''}>
                {stale ? t('runs.reconnecting') : isRunFinished(run.status) ? '' : live === 'sse' ? t('runs.live') : live === 'poll' ? t('runs.polling') : ''}
              </span>
              {run.status === 'waiting_review' && view !== 'review' && (
                <button
                  type="button"
                  className="button secondary button-sm"
                  data-testid="open-review"
                  onClick={() => navigate({ name: 'project', id: projectId, tab: 'review' })}
                >
                  {t('runs.openReview')}
                </button>
              )}
              {run.status === 'completed' && onExport && (
                <button type="button" className="button primary button-sm" data-testid="run-export" onClick={onExport}>
                  <FilmIcon />
                  {t('runs.exportVideo')}
                </button>
              )}
            </div>
            <div
              className="progress"
              role="progressbar"
              aria-label={t('runs.progress')}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={percent(run.progress)}
              data-testid="run-progress"
            >
              <span className={`progress-fill progress-${run.status}`} style={{ width: `${percent(run.progress)}%` }} />
            </div>
            {run.error && (
              <p className="run-error" role="alert" data-testid="run-error">
                <AlertIcon /> {run.error}
              </p>
            )}
          </section>

          {showReview && reviewStep && (
            <ReviewQueue
              key={reviewStep.node_run_id}
              nodeRunId={reviewStep.node_run_id}
              nodeStatus={reviewStep.status}
              onContinued={applyAction}
            />
          )}
          {view === 'review' && !showReview && (
            <section className="panel">
              <div className="empty-state" data-testid="review-none">
                <h2>{t('runs.reviewNoneTitle')}</h2>
                <p>{t('runs.reviewNoneBody')}</p>
                <button type="button" className="button secondary" onClick={() => navigate({ name: 'project', id: projectId, tab: 'runs' })}>
                  {t('runs.showRun')}
                </button>
              </div>
            </section>
          )}

          <div className="run-layout">
            <section className="panel dag-panel" aria-label={t('runs.graph')}>
              <div className="dag-scroll" ref={dagScrollRef}>
                <div
                  className="dag"
                  data-testid="dag"
                  data-zoom={dagZoom.toFixed(2)}
                  style={{ width: layout.width, height: layout.height, zoom: dagZoom }}
                >
                  <svg className="dag-edges" width={layout.width} height={layout.height} aria-hidden="true" focusable="false">
                    {layout.paths.map((p) => {
                      const done = steps.find((s) => s.node_id === p.from)?.status === 'completed';
                      return (
                        <path
                          key={`${p.from}-${p.to}`}
                          d={p.d}
                          className={`dag-edge${done ? ' done' : ''}`}
                          data-testid="dag-edge"
                          data-from={p.from}
                          data-to={p.to}
                        />
                      );
                    })}
                  </svg>
                  {steps.map((s) => {
                    const box = layout.boxes[s.node_id];
                    if (!box) return null;
                    const pct = percent(stepProgress(s));
                    const isSelected = selectedStep?.node_id === s.node_id;
                    return (
                      <button
                        key={s.node_id}
                        type="button"
                        className={`dag-node node-${s.status}${isSelected ? ' selected' : ''}`}
                        style={{ left: box.x, top: box.y, width: box.width, height: box.height }}
                        data-testid="dag-node"
                        data-node-id={s.node_id}
                        data-status={s.status}
                        aria-pressed={isSelected}
                        aria-label={t('runs.nodeAria', { node: nodeLabel(s.node_id, s.label), status: stepStatusLabel(s.status) })}
                        onClick={() => setSelected(s.node_id)}
                      >
                        <span className="dag-node-head">
                          <span className="status-dot" aria-hidden="true" />
                          <span className="dag-node-label" title={nodeLabel(s.node_id, s.label)}>
                            {nodeLabel(s.node_id, s.label)}
                          </span>
                        </span>
                        <span className="dag-node-kind">{s.kind}</span>
                        <span className="dag-node-meta">
                          <span data-testid="node-status">{stepStatusLabel(s.status)}</span>
                          {s.items_total > 0 && (
                            <span data-testid="node-items">
                              {s.items_done}/{s.items_total}
                            </span>
                          )}
                          {s.attempts > 1 && <span title={t('runs.attempts')}>×{s.attempts}</span>}
                          {s.cached && (
                            <span className="badge badge-cached" data-testid="node-cached">
                              {t('runs.cached')}
                            </span>
                          )}
                          <NodeCost step={s} />
                        </span>
                        <span className="progress progress-sm" aria-hidden="true">
                          <span className={`progress-fill progress-${s.status}`} style={{ width: `${pct}%` }} />
                        </span>
                        {s.error && (
                          <span className="dag-node-error" title={s.error} data-testid="node-error">
                            {s.error}
                          </span>
                        )}
                      </button>
                    );
                  })}
                </div>
              </div>
            </section>

            {selectedStep && (
              <section className="panel node-log" aria-label={t('runs.logOf', { node: nodeLabel(selectedStep.node_id, selectedStep.label) })} data-testid="node-log" data-node-id={selectedStep.node_id}>
                <header className="node-log-head">
                  <h2>{nodeLabel(selectedStep.node_id, selectedStep.label)}</h2>
                  <span className={`run-status run-status-${selectedStep.status}`}>
                    <span className="status-dot" aria-hidden="true" />
                    {stepStatusLabel(selectedStep.status)}
                  </span>
                </header>
                <dl className="node-facts">
                  <div>
                    <dt>{t('runs.kind')}</dt>
                    <dd>{selectedStep.kind}</dd>
                  </div>
                  <div>
                    <dt>{t('runs.attempts')}</dt>
                    <dd>{selectedStep.attempts}</dd>
                  </div>
                  {selectedStep.items_total > 0 && (
                    <div>
                      <dt>{t('runs.items')}</dt>
                      <dd>
                        {selectedStep.items_done}/{selectedStep.items_total}
                        {selectedStep.items_cached > 0 ? t('runs.itemsCached', { count: selectedStep.items_cached }) : ''}
                      </dd>
                    </div>
                  )}
                  <div>
                    <dt>{t('runs.estimate')}</dt>
                    <dd data-testid="node-log-estimate">{formatCredits(stepCost(selectedStep).estimate)}</dd>
                  </div>
                  <div>
                    <dt>{t('runs.cost')}</dt>
                    <dd data-testid="node-log-cost">{formatCredits(selectedStep.cost_credits)}</dd>
                  </div>
                  {selectedStep.cached && (
                    <div>
                      <dt>{t('runs.cache')}</dt>
                      <dd>{t('runs.fromCache')}</dd>
                    </div>
                  )}
                </dl>
                {selectedStep.error && (
                  <div className="node-log-error">
                    <p className="run-error" role="alert" data-testid="node-log-error">
                      <AlertIcon /> {selectedStep.error}
                      {selectedStep.retryable ? t('runs.retryable') : ''}
                    </p>
                    {selectedStep.status === 'failed' && (
                      <button
                        type="button"
                        className="button secondary button-sm"
                        data-testid="node-retry"
                        disabled={!controls.retry || busy !== null}
                        title={controls.retry ? t('runs.retryTitle') : t('runs.retryWhenStopped')}
                        onClick={() => void control('retry')}
                      >
                        <RestoreIcon />
                        {busy === 'retry' ? t('runs.retrying') : t('runs.retry')}
                      </button>
                    )}
                  </div>
                )}
                <pre className="node-log-text" data-testid="node-log-text" tabIndex={0}>
                  {selectedStep.log || t('runs.noLog')}
                </pre>
              </section>
            )}
          </div>
        </>
      )}
    </div>
  );
}

/** Estimate → actual of one node (nothing for free work). */
function NodeCost({ step }: { step: Step }) {
  const t = useT();
  const c = stepCost(step);
  const text = costText(c, STEP_DONE.has(step.status));
  if (!text) return null;
  return (
    <span
      className="node-cost"
      data-testid="node-cost"
      data-estimate={c.estimate}
      data-actual={c.actual}
      title={t('runs.nodeCostTitle', { estimate: formatCount('credit', c.estimate), actual: formatCount('credit', c.actual) })}
    >
      {text}
    </span>
  );
}

/** The run's estimated and charged totals. */
function RunCost({ steps, actual, finished }: { steps: Step[]; actual: number; finished: boolean }) {
  const t = useT();
  const c = runCost(steps, actual);
  if (c.estimate === 0 && c.actual === 0) {
    return (
      <span className="muted" data-testid="run-cost" data-estimate={0} data-actual={0}>
        {t('runs.free')}
      </span>
    );
  }
  return (
    <span className="muted run-cost" data-testid="run-cost" data-estimate={c.estimate} data-actual={c.actual}>
      <span data-testid="run-cost-estimate">{t('runs.costEstimate', { credits: formatCount('credit', c.estimate) })}</span>
      {' · '}
      <span data-testid="run-cost-actual">
        {t(finished ? 'runs.costSpent' : 'runs.costSpentSoFar', { credits: formatCount('credit', c.actual) })}
      </span>
    </span>
  );
}

