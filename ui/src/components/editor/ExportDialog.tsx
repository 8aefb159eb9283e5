import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { listAssets } from '../../api/assets';
import {
  cancelExport,
  downloadStoryboardSheet,
  estimateExport,
  fetchExportFile,
  getExport,
  listExportHistory,
  previewExport,
  startExport,
} from '../../api/export';
import { getStoryboard } from '../../api/storyboard';
import {
  ASPECT_RATIOS,
  EXPORT_FORMATS,
  EXPORT_FPS,
  EXPORT_RESOLUTIONS,
  EXPORT_SUBTITLES,
  EXPORT_TRANSITIONS,
  type Asset,
  type AspectRatio,
  type Export,
  type ExportEstimate,
  type ExportFormat,
  type ExportPreview,
  type Page,
  type Project,
} from '../../api/types';
import {
  defaultExportSettings,
  exportFieldFor,
  exportRequestBody,
  pixelSize,
  requestKey,
  type ExportFormField,
  type ExportSettings,
} from '../../lib/exportSettings';
import { watchExport, type ExportWatcher } from '../../lib/exportPoll';
import { cuesToVtt, seekTime, shotAt, shotLabel, shotTimeline, type ShotLike, type TimedShot } from '../../lib/exportPlayer';
import {
  canCancelExport,
  costText,
  exportFileName,
  exportStatusLabel,
  formatEncodeTime,
  isExportFinished,
  isPlayable,
  newerExport,
  newestFirst,
  progressPercent,
  progressText,
  quotaText,
  storyboardSheetFileName,
  videoLengthText,
} from '../../lib/exportStatus';
import { Trans, i18n, useLocale, useT } from '../../i18n';
import { formatBytes, formatCount, formatDateTime, formatDuration, formatNumber, formatRelativeTime } from '../../lib/format';
import { isFormStartKey } from '../../lib/keyboard';
import { ApiError, errorMessage, fieldErrorMessage } from '../../transport';
import { AspectShape } from '../Badges';
import { AlertIcon, DownloadIcon, FileTextIcon, FilmIcon, PlayIcon, StopIcon } from '../Icons';
import { Modal } from '../Modal';
import { Pagination } from '../Pagination';
import { useToasts } from '../Toasts';
import { saveBlob, useBlobUrl } from './useBlobUrl';

const ESTIMATE_DEBOUNCE_MS = 200;
const HISTORY_LIMIT = 10;

/** Container names and codecs: the same in every language. */
const FORMAT_NAMES: Record<ExportFormat, string> = { mp4: 'MP4', webm: 'WebM' };
const FORMAT_CODECS: Record<ExportFormat, string> = { mp4: 'H.264 + AAC', webm: 'VP9 + Opus' };

/** "Soft", "软字幕"… for a subtitle mode (a newer server's value reads as itself). */
function subtitleModeLabel(mode: string): string {
  return i18n.exists(`exportDialog.subtitleMode.${mode}`) ? i18n.t(`exportDialog.subtitleMode.${mode}` as never) : mode;
}

type EstimateState =
  | { kind: 'idle' }
  | { kind: 'loading'; key: string; previous: ExportEstimate | null }
  | { kind: 'ready'; key: string; estimate: ExportEstimate }
  | { kind: 'error'; key: string; error: unknown };

type PreviewState =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'ready'; preview: ExportPreview }
  | { kind: 'error'; error: unknown };

type HistoryState = { kind: 'loading' } | { kind: 'ready'; data: Page<Export> } | { kind: 'error'; message: string };

interface Props {
  project: Project;
  versionId: string;
  versionNumber?: number | null;
  onClose: () => void;
  /** Shown with the "run the workflow first" error. */
  onGoToRuns?: () => void;
}

function isApi(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

/** Errors that starting cannot get past with these settings (a bad field, no completed run). */
function blocksStart(e: unknown): boolean {
  return isApi(e) && (e.status === 409 || e.status === 422 || e.status === 400 || e.status === 404);
}

export function ExportDialog({ project, versionId, versionNumber, onClose, onGoToRuns }: Props) {
  const t = useT();
  const locale = useLocale();
  const toasts = useToasts();
  const [settings, setSettings] = useState<ExportSettings>(() => defaultExportSettings(project.aspect_ratio));
  const [estimate, setEstimate] = useState<EstimateState>({ kind: 'idle' });
  const [startError, setStartError] = useState<unknown>(null);
  const [starting, setStarting] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const [current, setCurrent] = useState<Export | null>(null);
  const [watchProblem, setWatchProblem] = useState<{ kind: 'reconnecting' | 'stopped'; message: string } | null>(null);
  const [history, setHistory] = useState<HistoryState>({ kind: 'loading' });
  const [historyPage, setHistoryPage] = useState(1);
  const [historyKey, setHistoryKey] = useState(0);
  const [music, setMusic] = useState<Asset[]>([]);
  const [pdfBusy, setPdfBusy] = useState(false);
  const [videoReload, setVideoReload] = useState(0);
  const [preview, setPreview] = useState<PreviewState>({ kind: 'idle' });
  const [boardShots, setBoardShots] = useState<ShotLike[]>([]);
  const previewRef = useRef<HTMLElement>(null);
  const watcher = useRef<ExportWatcher | null>(null);
  const attached = useRef(false);
  const playerRef = useRef<HTMLDivElement>(null);

  const body = useMemo(() => exportRequestBody(settings, { projectId: project.id, versionId }), [settings, project.id, versionId]);
  const key = useMemo(() => requestKey(body), [body]);
  const reloadHistory = useCallback(() => setHistoryKey((k) => k + 1), []);

  // ---- the estimate, refreshed (debounced, latest wins) whenever the settings change ----
  useEffect(() => {
    const ctrl = new AbortController();
    setEstimate((prev) => ({
      kind: 'loading',
      key,
      previous: prev.kind === 'ready' ? prev.estimate : prev.kind === 'loading' ? prev.previous : null,
    }));
    const timer = window.setTimeout(() => {
      estimateExport(body, ctrl.signal)
        .then((est) => setEstimate({ kind: 'ready', key, estimate: est }))
        .catch((error: unknown) => {
          if (!ctrl.signal.aborted) setEstimate({ kind: 'error', key, error });
        });
    }, ESTIMATE_DEBOUNCE_MS);
    return () => {
      window.clearTimeout(timer);
      ctrl.abort();
    };
  }, [body, key]);

  // ---- history of the project's exports ----
  useEffect(() => {
    const ctrl = new AbortController();
    listExportHistory({ projectId: project.id, page: historyPage, limit: HISTORY_LIMIT }, ctrl.signal)
      .then((data) => {
        if (data.items.length === 0 && historyPage > 1) {
          setHistoryPage(Math.max(1, data.totalPages));
          return;
        }
        setHistory({ kind: 'ready', data: { ...data, items: newestFirst(data.items) } });
        // Opening the dialog while an export of this version is still going: follow it.
        if (!attached.current) {
          attached.current = true;
          const going = data.items.find((e) => e.version_id === versionId && !isExportFinished(e.status));
          if (going) setCurrent((c) => c ?? going);
        }
      })
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) setHistory({ kind: 'error', message: errorMessage(e) });
      });
    return () => ctrl.abort();
  }, [project.id, versionId, historyPage, historyKey]);

  // ---- uploaded music (audio assets that no run generated) ----
  useEffect(() => {
    const ctrl = new AbortController();
    listAssets({ projectId: project.id, type: 'audio', limit: 100 }, ctrl.signal)
      .then((page) =>
        setMusic(
          page.items.filter((a) => {
            const m = a.metadata as { run_id?: unknown } | null;
            return !(m && typeof m === 'object' && m.run_id);
          }),
        ),
      )
      .catch(() => {
        // No music choice then; the export itself does not need it.
      });
    return () => ctrl.abort();
  }, [project.id]);

  // ---- the version's shots, for the player's shot list ----
  useEffect(() => {
    const ctrl = new AbortController();
    getStoryboard(project.id, versionId, ctrl.signal)
      .then((b) => setBoardShots(b.scenes.flatMap((sc) => sc.shots)))
      .catch(() => {
        // The player works without a shot list.
      });
    return () => ctrl.abort();
  }, [project.id, versionId]);

  // ---- follow the current export until it finishes ----
  const currentId = current?.id ?? null;
  const currentActive = current !== null && !isExportFinished(current.status);
  useEffect(() => {
    if (!currentId || !currentActive) return;
    setWatchProblem(null);
    const w = watchExport({
      fetchExport: () => getExport(currentId),
      immediate: true,
      onExport: (e) => {
        setWatchProblem(null);
        setCurrent((prev) => newerExport(prev, e));
      },
      onError: (e) => setWatchProblem({ kind: 'reconnecting', message: errorMessage(e) }),
      onStop: (reason, err) => {
        if (reason === 'gone') setWatchProblem({ kind: 'stopped', message: i18n.t('exportDialog.gone') });
        else if (reason === 'error') setWatchProblem({ kind: 'stopped', message: errorMessage(err) });
      },
    });
    watcher.current = w;
    return () => {
      w.stop();
      watcher.current = null;
    };
  }, [currentId, currentActive]);

  // When the followed export ends: tell, and show it in the history.
  const lastStatus = useRef<string | null>(null);
  useEffect(() => {
    if (!current) return;
    const was = lastStatus.current;
    lastStatus.current = current.status;
    if (was === null || was === current.status || !isExportFinished(current.status) || isExportFinished(was)) return;
    reloadHistory();
    if (current.status === 'completed') toasts.show({ kind: 'success', message: t('exportDialog.readyToast') });
    // The (often long) ffmpeg message is shown in the dialog; the toast only tells.
    else if (current.status === 'failed') toasts.show({ kind: 'error', message: t('exportDialog.failedToast') });
  }, [current, reloadHistory, toasts, t]);

  const video = useBlobUrl(current && isPlayable(current) ? current.video_url : null, videoReload);
  const previewVideo = useBlobUrl(preview.kind === 'ready' ? preview.preview.video_url : null);
  const previewVtt = useObjectUrl(preview.kind === 'ready' ? cuesToVtt(preview.preview.cues) : null, 'text/vtt');
  const exportShots = useMemo(() => shotTimeline(boardShots, current?.fps ?? 30), [boardShots, current?.fps]);
  const previewShots = useMemo<TimedShot[]>(() => {
    if (preview.kind !== 'ready') return [];
    const byId = new Map(boardShots.map((b) => [b.id, b]));
    return preview.preview.shots.map((s) => {
      const b = byId.get(s.shot_id);
      return { id: s.shot_id, number: s.number, start: s.start, duration: s.duration, label: b ? shotLabel(b) : '' };
    });
  }, [preview, boardShots]);

  // ---- what the form shows ----
  const estimateError = estimate.kind === 'error' && estimate.key === key ? estimate.error : null;
  const shownError = startError ?? estimateError;
  const errorField = isApi(shownError) ? exportFieldFor(shownError.field) : null;
  const fieldErrors: Partial<Record<ExportFormField, string>> =
    errorField && isApi(shownError) ? { [errorField]: fieldErrorMessage(shownError) } : {};
  const formError = shownError && !errorField ? shownError : null;
  const est: ExportEstimate | null =
    estimate.kind === 'ready' ? estimate.estimate : estimate.kind === 'loading' ? estimate.previous : null;
  const estimateFresh = estimate.kind === 'ready' && estimate.key === key;
  const insufficient = estimateFresh && est !== null && !est.sufficient_quota;
  const canStart = !starting && !currentActive && !insufficient && !blocksStart(shownError);

  function update<K extends keyof ExportSettings>(k: K, v: ExportSettings[K]) {
    setSettings((s) => ({ ...s, [k]: v }));
    setStartError(null);
  }

  async function start() {
    if (!canStart) return;
    setStarting(true);
    setStartError(null);
    try {
      const e = await startExport(body);
      lastStatus.current = e.status;
      setCurrent(e);
      setWatchProblem(null);
      reloadHistory();
      window.setTimeout(() => playerRef.current?.scrollIntoView({ block: 'nearest' }), 0);
    } catch (e) {
      setStartError(e);
      const field = isApi(e) ? exportFieldFor(e.field) : null;
      if (field) document.querySelector<HTMLElement>(`[data-export-field="${field}"]`)?.focus();
    } finally {
      setStarting(false);
    }
  }

  async function cancel() {
    if (!current || !canCancelExport(current.status)) return;
    setCancelling(true);
    try {
      const e = await cancelExport(current.id);
      setCurrent((prev) => newerExport(prev, e));
      toasts.show({ kind: 'info', message: t('exportDialog.cancelledToast') });
      reloadHistory();
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
      watcher.current?.refresh();
    } finally {
      setCancelling(false);
    }
  }

  async function makePreview() {
    if (preview.kind === 'loading') return;
    setPreview({ kind: 'loading' });
    window.setTimeout(() => previewRef.current?.scrollIntoView({ block: 'nearest' }), 0);
    try {
      const p = await previewExport({ project_id: project.id, version_id: versionId, speaker_names: settings.speaker_names });
      setPreview({ kind: 'ready', preview: p });
    } catch (e) {
      setPreview({ kind: 'error', error: e });
    }
  }

  async function download(path: string | null, filename: string) {
    if (!path) return;
    try {
      saveBlob(await fetchExportFile(path), filename);
    } catch (e) {
      toasts.show({ kind: 'error', message: t('exportDialog.downloadFailed', { name: filename, error: errorMessage(e) }) });
    }
  }

  async function storyboardPdf() {
    setPdfBusy(true);
    try {
      saveBlob(await downloadStoryboardSheet(project.id, versionId), storyboardSheetFileName(project.name, versionNumber));
    } catch (e) {
      toasts.show({ kind: 'error', message: t('exportDialog.sheetFailed', { error: errorMessage(e) }) });
    } finally {
      setPdfBusy(false);
    }
  }

  function show(e: Export) {
    lastStatus.current = e.status;
    setCurrent(e);
    window.setTimeout(() => playerRef.current?.scrollIntoView({ block: 'nearest' }), 0);
  }

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    void start();
  }

  const size = pixelSize(settings.resolution, settings.aspect_ratio);
  const rows = history.kind === 'ready' ? history.data.items.map((r) => (current && r.id === current.id ? current : r)) : [];

  return (
    <Modal
      title={t('exportDialog.title')}
      onClose={onClose}
      busy={starting || cancelling}
      size="lg"
      testId="export-dialog"
      initialFocus={`[data-export-field="resolution"] input:checked`}
    >
      <div className="modal-body export-body">
        <form
          className="export-form"
          data-testid="export-form"
          onSubmit={onSubmit}
          onKeyDown={(e) => {
            if (!isFormStartKey(e.nativeEvent)) return;
            e.preventDefault();
            void start();
          }}
          noValidate
        >
          <div className="export-fields">
            <ChoiceGroup
              field="resolution"
              legend={t('exportDialog.resolution')}
              value={settings.resolution}
              options={EXPORT_RESOLUTIONS.map((r) => ({ value: r, label: r, hint: t(`exportDialog.resolutionHint.${r}`) }))}
              onChange={(v) => update('resolution', v)}
              error={fieldErrors.resolution}
              note={`${size.width} × ${size.height}`}
            />
            <ChoiceGroup
              field="aspect_ratio"
              legend={t('exportDialog.aspect')}
              value={settings.aspect_ratio}
              options={ASPECT_RATIOS.map((r: AspectRatio) => ({
                value: r,
                label: (
                  <>
                    <AspectShape ratio={r} /> {r}
                  </>
                ),
                hint: r === project.aspect_ratio ? t('exportDialog.projectAspect') : undefined,
              }))}
              onChange={(v) => update('aspect_ratio', v)}
              error={fieldErrors.aspect_ratio}
            />
            <ChoiceGroup
              field="format"
              legend={t('exportDialog.format')}
              value={settings.format}
              options={EXPORT_FORMATS.map((f) => ({ value: f, label: FORMAT_NAMES[f], hint: FORMAT_CODECS[f] }))}
              onChange={(v) => update('format', v)}
              error={fieldErrors.format}
            />
            <div className="form-field">
              <label htmlFor="export-fps">{t('exportDialog.frameRate')}</label>
              <select
                id="export-fps"
                className={`input input-sm select${fieldErrors.fps ? ' invalid' : ''}`}
                data-testid="export-fps"
                data-export-field="fps"
                value={settings.fps}
                aria-invalid={fieldErrors.fps ? true : undefined}
                onChange={(e) => update('fps', Number(e.target.value) as ExportSettings['fps'])}
              >
                {EXPORT_FPS.map((f) => (
                  <option key={f} value={f}>
                    {t('exportDialog.fps', { fps: f })}
                  </option>
                ))}
              </select>
              <FieldError field="fps" message={fieldErrors.fps} />
            </div>
            <ChoiceGroup
              field="include_subtitles"
              legend={t('exportDialog.subtitles')}
              value={settings.subtitles}
              options={EXPORT_SUBTITLES.map((s) => ({ value: s, label: t(`exportDialog.subtitleMode.${s}`), hint: t(`exportDialog.subtitleHint.${s}`) }))}
              onChange={(v) => update('subtitles', v)}
              error={fieldErrors.include_subtitles}
            />
            <ChoiceGroup
              field="transition"
              legend={t('exportDialog.transition')}
              value={settings.transition}
              options={EXPORT_TRANSITIONS.map((tr) => ({ value: tr, label: t(`exportDialog.transitions.${tr}`) }))}
              onChange={(v) => update('transition', v)}
              error={fieldErrors.transition}
            />
            <div className="form-field">
              <span className="export-legend">{t('exportDialog.motion')}</span>
              <label className="export-check">
                <input
                  type="checkbox"
                  data-testid="export-motion"
                  data-export-field="motion"
                  checked={settings.motion}
                  onChange={(e) => update('motion', e.target.checked)}
                />
                {t('exportDialog.motionCheck')}
              </label>
              <FieldError field="motion" message={fieldErrors.motion} />
            </div>
            <div className="form-field">
              <span className="export-legend">{t('exportDialog.framesAndSubtitles')}</span>
              <label className="export-check">
                <input
                  type="checkbox"
                  data-testid="export-overlays"
                  data-export-field="overlays"
                  checked={settings.overlays}
                  onChange={(e) => update('overlays', e.target.checked)}
                />
                {t('exportDialog.overlays')}
              </label>
              <label className="export-check">
                <input
                  type="checkbox"
                  data-testid="export-speaker-names"
                  data-export-field="speaker_names"
                  checked={settings.speaker_names}
                  onChange={(e) => update('speaker_names', e.target.checked)}
                />
                {t('exportDialog.speakerNames')}
              </label>
              <FieldError field="overlays" message={fieldErrors.overlays ?? fieldErrors.speaker_names} />
            </div>
            {(music.length > 0 || fieldErrors.music_asset_id) && (
              <div className="form-field">
                <label htmlFor="export-music">
                  {t('exportDialog.music')} <span className="optional">{t('exportDialog.optional')}</span>
                </label>
                <select
                  id="export-music"
                  className={`input input-sm select${fieldErrors.music_asset_id ? ' invalid' : ''}`}
                  data-testid="export-music"
                  data-export-field="music_asset_id"
                  value={settings.music_asset_id ?? ''}
                  onChange={(e) => update('music_asset_id', e.target.value || null)}
                >
                  <option value="">{t('common.none')}</option>
                  {music.map((a) => (
                    <option key={a.id} value={a.id}>
                      {a.filename}
                    </option>
                  ))}
                </select>
                <FieldError field="music_asset_id" message={fieldErrors.music_asset_id} />
              </div>
            )}
          </div>

          <aside className="export-side">
            <EstimatePanel estimate={est} state={estimate.kind} fresh={estimateFresh} />
            {formError !== null && (
              <div className="form-error export-form-error" role="alert" data-testid="export-form-error" data-status={isApi(formError) ? formError.status : ''}>
                <p>{isApi(formError) && formError.status === 409 ? (locale === 'en' ? formError.detail : t('exportDialog.needsRun')) : errorMessage(formError)}</p>
                {isApi(formError) && formError.status === 409 && onGoToRuns && (
                  <button type="button" className="button secondary button-sm" onClick={onGoToRuns} data-testid="export-go-runs">
                    {t('exportDialog.goToRuns')}
                  </button>
                )}
              </div>
            )}
            <button
              type="submit"
              className="button primary export-start"
              data-testid="export-start"
              disabled={!canStart}
              aria-keyshortcuts="Enter"
              title={
                currentActive
                  ? t('exportDialog.runningTitle')
                  : insufficient
                    ? t('exportDialog.insufficientTitle')
                    : undefined
              }
            >
              <FilmIcon />
              {starting ? t('exportDialog.starting') : currentActive ? t('exportDialog.exporting') : t('exportDialog.start')}
            </button>
            <button
              type="button"
              className="button secondary export-start"
              data-testid="export-preview"
              disabled={preview.kind === 'loading'}
              onClick={() => void makePreview()}
              title={t('exportDialog.previewTitle')}
            >
              <PlayIcon />
              {preview.kind === 'loading' ? t('exportDialog.makingPreview') : t('exportDialog.preview')}
            </button>
            <p className="toolbar-hint">
              <Trans i18n={i18n} t={t} i18nKey="exportDialog.keysHint" components={{ kbd: <kbd /> }} />
            </p>
          </aside>
        </form>

        {preview.kind !== 'idle' && (
          <section
            className="panel export-current export-preview"
            ref={previewRef}
            data-testid="export-preview-panel"
            data-state={preview.kind}
            aria-label={t('exportDialog.preview')}
          >
            <div className="run-summary-line">
              <strong>{t('exportDialog.preview')}</strong>
              <span className="muted" data-testid="export-preview-facts">
                {preview.kind === 'ready'
                  ? t('exportDialog.previewFacts', {
                      length: videoLengthText(preview.preview.duration),
                      shots: formatCount('shot', preview.preview.shots.length),
                      lines: formatCount('voicedLine', preview.preview.voiced_lines),
                      width: preview.preview.width,
                      height: preview.preview.height,
                      elapsed: formatDuration(preview.preview.elapsed_ms / 1000),
                    })
                  : preview.kind === 'loading'
                    ? t('exportDialog.makingPreview')
                    : ''}
              </span>
              <button type="button" className="button secondary button-sm" data-testid="export-preview-close" onClick={() => setPreview({ kind: 'idle' })}>
                {t('exportDialog.closePreview')}
              </button>
            </div>
            {preview.kind === 'loading' && <span className="spinner" role="status" aria-label={t('exportDialog.makingPreviewAria')} />}
            {preview.kind === 'error' && (
              <p className="run-error" role="alert" data-testid="export-preview-error">
                <AlertIcon /> {errorMessage(preview.error)}
              </p>
            )}
            {preview.kind === 'ready' && (
              <ExportPlayer
                url={previewVideo.url}
                error={previewVideo.error}
                aspect={preview.preview.aspect_ratio}
                shots={previewShots}
                vtt={previewVtt}
                testId="export-preview-video"
                dataId={preview.preview.preview_id}
              />
            )}
          </section>
        )}

        {current && (
          <section
            className="panel export-current"
            ref={playerRef}
            data-testid="export-current"
            data-export-id={current.id}
            data-status={current.status}
            aria-label={t('exportDialog.current')}
          >
            <div className="run-summary-line">
              <span className={`run-status run-status-${statusClass(current.status)}`} data-testid="export-status" data-status={current.status}>
                <span className="status-dot" aria-hidden="true" />
                {exportStatusLabel(current.status)}
              </span>
              <span className="muted">
                {current.resolution} · {current.aspect_ratio} · {current.width}×{current.height} · {t('exportDialog.fps', { fps: current.fps })} ·{' '}
                {current.format.toUpperCase()}
              </span>
              {canCancelExport(current.status) && (
                <button
                  type="button"
                  className="button secondary button-sm"
                  data-testid="export-cancel"
                  disabled={cancelling}
                  onClick={() => void cancel()}
                >
                  <StopIcon />
                  {cancelling ? t('exportDialog.cancelling') : t('common.cancel')}
                </button>
              )}
            </div>
            <div
              className="progress"
              role="progressbar"
              aria-label={t('exportDialog.progress')}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={progressPercent(current.status === 'completed' ? 1 : current.progress)}
              aria-valuetext={progressText(current, new Date())}
              data-testid="export-progress"
            >
              <span
                className={`progress-fill progress-${statusClass(current.status)}`}
                style={{ width: `${progressPercent(current.status === 'completed' ? 1 : current.progress)}%` }}
              />
            </div>
            {current.status === 'failed' ? (
              <p className="run-error" role="alert" data-testid="export-error">
                <AlertIcon /> {current.error || current.message || t('exportDialog.failed')}
              </p>
            ) : (
              <p className="export-message muted" data-testid="export-message" aria-live="polite">
                {progressText(current, new Date())}
              </p>
            )}
            {watchProblem && !isExportFinished(current.status) && (
              <p className="export-watch muted" data-testid="export-watch" data-kind={watchProblem.kind}>
                {watchProblem.kind === 'reconnecting' ? t('exportDialog.reconnecting', { error: watchProblem.message }) : watchProblem.message}
                {watchProblem.kind === 'stopped' && (
                  <button type="button" className="button secondary button-sm" onClick={() => watcher.current?.refresh()}>
                    {t('exportDialog.checkAgain')}
                  </button>
                )}
              </p>
            )}

            {isPlayable(current) && (
              <div className="export-result">
                <ExportPlayer
                  url={video.url}
                  error={video.error}
                  onRetry={() => setVideoReload((k) => k + 1)}
                  aspect={current.aspect_ratio}
                  shots={exportShots}
                  testId="export-video"
                  dataId={current.id}
                />
                <div className="export-result-side">
                  <dl className="node-facts export-facts">
                    <div>
                      <dt>{t('exportDialog.duration')}</dt>
                      <dd data-testid="export-duration">{videoLengthText(current.duration ?? current.video_length)}</dd>
                    </div>
                    <div>
                      <dt>{t('exportDialog.size')}</dt>
                      <dd>{current.file_size != null ? formatBytes(current.file_size) : '–'}</dd>
                    </div>
                    <div>
                      <dt>{t('exportDialog.subtitles')}</dt>
                      <dd>{subtitleModeLabel(current.include_subtitles)}</dd>
                    </div>
                  </dl>
                  <div className="export-downloads">
                    {video.url ? (
                      <a className="button secondary button-sm" href={video.url} download={exportFileName(current, 'video')} data-testid="export-download-video">
                        <DownloadIcon />
                        {t('exportDialog.download', { format: current.format.toUpperCase() })}
                      </a>
                    ) : (
                      <button
                        type="button"
                        className="button secondary button-sm"
                        data-testid="export-download-video"
                        onClick={() => void download(current.video_url ?? null, exportFileName(current, 'video'))}
                      >
                        <DownloadIcon />
                        {t('exportDialog.download', { format: current.format.toUpperCase() })}
                      </button>
                    )}
                    {current.subtitles_url && (
                      <button
                        type="button"
                        className="button secondary button-sm"
                        data-testid="export-download-srt"
                        onClick={() => void download(current.subtitles_url ?? null, exportFileName(current, 'subtitles'))}
                      >
                        <FileTextIcon />
                        {t('exportDialog.downloadSrt')}
                      </button>
                    )}
                  </div>
                </div>
              </div>
            )}
          </section>
        )}

        <section className="export-history" data-testid="export-history" aria-label={t('exportDialog.historyLabel')}>
          <h3>{t('exportDialog.history')}</h3>
          {history.kind === 'loading' && <span className="spinner" role="status" aria-label={t('exportDialog.historyLoading')} />}
          {history.kind === 'error' && (
            <p className="run-error" role="alert">
              <AlertIcon /> {history.message}{' '}
              <button type="button" className="button secondary button-sm" onClick={reloadHistory}>
                {t('common.tryAgain')}
              </button>
            </p>
          )}
          {history.kind === 'ready' && rows.length === 0 && (
            <p className="muted" data-testid="export-history-empty">
              {t('exportDialog.historyEmpty')}
            </p>
          )}
          {history.kind === 'ready' && rows.length > 0 && (
            <>
              <table className="asset-table export-table">
                <thead>
                  <tr>
                    <th scope="col">{t('exportDialog.status')}</th>
                    <th scope="col">{t('exportDialog.resolution')}</th>
                    <th scope="col">{t('exportDialog.format')}</th>
                    <th scope="col" className="num">
                      {t('exportDialog.size')}
                    </th>
                    <th scope="col" className="num">
                      {t('exportDialog.duration')}
                    </th>
                    <th scope="col">{t('exportDialog.created')}</th>
                    <th scope="col">
                      <span className="sr-only">{t('exportDialog.actions')}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr
                      key={r.id}
                      data-testid="export-history-row"
                      data-export-id={r.id}
                      data-status={r.status}
                      className={current?.id === r.id ? 'selected' : undefined}
                    >
                      <td>
                        <span className={`run-status run-status-${statusClass(r.status)}`} title={r.error ?? undefined}>
                          <span className="status-dot" aria-hidden="true" />
                          {exportStatusLabel(r.status)}
                          {r.status === 'processing' ? ` ${formatNumber(progressPercent(r.progress) / 100, locale, { style: 'percent' })}` : ''}
                        </span>
                      </td>
                      <td>
                        {r.resolution} · {r.aspect_ratio}
                      </td>
                      <td>{r.format.toUpperCase()}</td>
                      <td className="num">{r.file_size != null && r.status === 'completed' ? formatBytes(r.file_size) : '–'}</td>
                      <td className="num">{videoLengthText(r.duration ?? r.video_length)}</td>
                      <td>
                        <time dateTime={r.created_at} title={formatDateTime(r.created_at)}>
                          {formatRelativeTime(r.created_at)}
                        </time>
                      </td>
                      <td>
                        <div className="asset-actions">
                          {isPlayable(r) ? (
                            <>
                              <button
                                type="button"
                                className="icon-button"
                                aria-label={t('exportDialog.playAria', { resolution: r.resolution, format: r.format })}
                                title={t('exportDialog.play')}
                                data-testid="export-history-play"
                                onClick={() => show(r)}
                              >
                                <PlayIcon />
                              </button>
                              <button
                                type="button"
                                className="icon-button"
                                aria-label={t('exportDialog.downloadAria', { resolution: r.resolution, format: r.format })}
                                title={t('exportDialog.downloadVideo')}
                                data-testid="export-history-download"
                                onClick={() => void download(r.video_url ?? null, exportFileName(r, 'video'))}
                              >
                                <DownloadIcon />
                              </button>
                              {r.subtitles_url && (
                                <button
                                  type="button"
                                  className="icon-button"
                                  aria-label={t('exportDialog.downloadSrtAria', { resolution: r.resolution, format: r.format })}
                                  title={t('exportDialog.downloadSrtTitle')}
                                  data-testid="export-history-srt"
                                  onClick={() => void download(r.subtitles_url ?? null, exportFileName(r, 'subtitles'))}
                                >
                                  <FileTextIcon />
                                </button>
                              )}
                            </>
                          ) : !isExportFinished(r.status) && current?.id !== r.id ? (
                            <button type="button" className="button secondary button-sm" onClick={() => show(r)}>
                              {t('exportDialog.follow')}
                            </button>
                          ) : null}
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {history.data.totalPages > 1 && (
                <Pagination
                  page={history.data.page}
                  totalPages={history.data.totalPages}
                  total={history.data.total}
                  limit={history.data.limit}
                  onPage={setHistoryPage}
                />
              )}
            </>
          )}
        </section>
      </div>
      <footer className="modal-footer export-footer">
        <button
          type="button"
          className="button secondary"
          data-testid="export-storyboard-pdf"
          disabled={pdfBusy}
          onClick={() => void storyboardPdf()}
          title={t('exportDialog.sheetTitle')}
        >
          <FileTextIcon />
          {pdfBusy ? t('exportDialog.makingSheet') : t('exportDialog.sheet')}
        </button>
        <button type="button" className="button secondary" data-testid="export-close" onClick={onClose} disabled={starting || cancelling}>
          {t('common.close')}
        </button>
      </footer>
    </Modal>
  );
}

/** The run-status colour classes: processing looks like a running run. */
function statusClass(status: string): string {
  return status === 'processing' ? 'running' : status;
}

function FieldError({ field, message }: { field: string; message?: string | undefined }) {
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
function ChoiceGroup<T extends string>({
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

function EstimatePanel({
  estimate,
  state,
  fresh,
}: {
  estimate: ExportEstimate | null;
  state: EstimateState['kind'];
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

/** An object URL for `text` (revoked when it changes or the component goes), or null. */
function useObjectUrl(text: string | null, type: string): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (text === null) {
      setUrl(null);
      return;
    }
    const u = URL.createObjectURL(new Blob([text], { type }));
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [text, type]);
  return url;
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * The player, large enough to judge the cut, with the shot list beside it: clicking a shot seeks the
 * video to its start; the shot on screen is marked as the video plays.
 */
function ExportPlayer({
  url,
  error,
  onRetry,
  aspect,
  shots,
  vtt,
  testId,
  dataId,
}: {
  url: string | null;
  error: string | null;
  onRetry?: () => void;
  aspect: string;
  shots: TimedShot[];
  vtt?: string | null;
  testId: string;
  dataId: string;
}) {
  const t = useT();
  const videoRef = useRef<HTMLVideoElement>(null);
  const [time, setTime] = useState(0);
  const onScreen = shotAt(shots, time);
  function seek(shot: TimedShot) {
    const v = videoRef.current;
    if (!v) return;
    const at = seekTime(shot);
    v.currentTime = at;
    setTime(at);
  }
  return (
    <div className="export-theatre" data-testid={`${testId}-theatre`}>
      <div className={`export-player aspect-${aspect.replace(':', 'x')}`}>
        {url ? (
          <video
            ref={videoRef}
            controls
            preload="auto"
            src={url}
            data-testid={testId}
            data-export-id={dataId}
            onTimeUpdate={(e) => setTime(e.currentTarget.currentTime)}
            onSeeked={(e) => setTime(e.currentTarget.currentTime)}
          >
            {vtt && <track kind="subtitles" label={t('exportDialog.subtitles')} srcLang="zh" src={vtt} default />}
          </video>
        ) : error ? (
          <div className="export-player-msg" role="alert">
            <AlertIcon /> {t('exportDialog.videoLoadFailed', { error })}
            {onRetry && (
              <button type="button" className="button secondary button-sm" onClick={onRetry}>
                {t('common.tryAgain')}
              </button>
            )}
          </div>
        ) : (
          <span className="spinner" role="status" aria-label={t('exportDialog.loadingVideo')} />
        )}
      </div>
      {shots.length > 0 && (
        <ol className="export-shot-list" aria-label={t('exportDialog.shots')} data-testid={`${testId}-shots`}>
          {shots.map((s) => (
            <li key={s.id}>
              <button
                type="button"
                className={`export-shot${onScreen?.id === s.id ? ' current' : ''}`}
                data-testid="export-shot"
                data-shot-id={s.id}
                data-start={s.start}
                aria-current={onScreen?.id === s.id ? 'true' : undefined}
                disabled={!url}
                onClick={() => seek(s)}
                title={t('exportDialog.playFrom', { number: s.number, time: clock(s.start) })}
              >
                <span className="export-shot-number">#{s.number}</span>
                <span className="export-shot-time">{clock(s.start)}</span>
                <span className="export-shot-label">{s.label}</span>
              </button>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
