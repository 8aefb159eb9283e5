import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { cancelExport, downloadStoryboardSheet, fetchExportFile, startExport } from '../../api/export';
import { ASPECT_RATIOS, EXPORT_FORMATS, EXPORT_FPS, EXPORT_RESOLUTIONS, EXPORT_SUBTITLES, EXPORT_TRANSITIONS, type AspectRatio, type Export, type ExportFormat, type ExportPreview, type Project } from '../../api/types';
import {
  defaultExportSettings,
  exportFieldFor,
  exportRequestBody,
  pixelSize,
  requestKey,
  type ExportFormField,
  type ExportSettings,
} from '../../lib/exportSettings';
import { cuesToVtt, shotLabel, shotTimeline, type TimedShot } from '../../lib/exportPlayer';
import { canCancelExport, exportFileName, exportStatusLabel, isExportFinished, isPlayable, newerExport, progressPercent, progressText, storyboardSheetFileName, videoLengthText } from '../../lib/exportStatus';
import { Trans, i18n, useLocale, useT } from '../../i18n';
import { formatBytes, formatCount, formatDateTime, formatDuration, formatNumber, formatRelativeTime } from '../../lib/format';
import { isFormStartKey } from '../../lib/keyboard';
import { ApiError, errorMessage, fieldErrorMessage } from '../../transport';
import { AspectShape } from '../Badges';
import { AlertIcon, DownloadIcon, FileTextIcon, FilmIcon, PlayIcon, StopIcon } from '../Icons';
import { Modal } from '../Modal';
import { Pagination } from '../Pagination';
import { useToasts } from '../Toasts';
import { saveBlob, useVideoUrl } from './useBlobUrl';
import { ChoiceGroup, EstimatePanel, FieldError, statusClass } from './ExportFields';
import { ExportPlayer, useObjectUrl } from './ExportPlayer';
import { ShareExportButton } from './ShareDialog';
import { SharedLinks } from './SharedLinks';
import { useBoardShots, useExportEstimate, useExportHistoryPage, useExportPreview, useFollowedExport, useMusic } from './useExportData';


/** Container names and codecs: the same in every language. */
const FORMAT_NAMES: Record<ExportFormat, string> = { mp4: 'MP4', webm: 'WebM' };
const FORMAT_CODECS: Record<ExportFormat, string> = { mp4: 'H.264 + AAC', webm: 'VP9 + Opus' };

/** "Soft", "软字幕"… for a subtitle mode (a newer server's value reads as itself). */
function subtitleModeLabel(mode: string): string {
  return i18n.exists(`exportDialog.subtitleMode.${mode}`) ? i18n.t(`exportDialog.subtitleMode.${mode}` as never) : mode;
}

type PreviewState =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'ready'; preview: ExportPreview }
  | { kind: 'error'; error: unknown };

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
  const [startError, setStartError] = useState<unknown>(null);
  const [starting, setStarting] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const [pdfBusy, setPdfBusy] = useState(false);
  const previewRef = useRef<HTMLElement>(null);
  const playerRef = useRef<HTMLDivElement>(null);

  const body = useMemo(() => exportRequestBody(settings, { projectId: project.id, versionId }), [settings, project.id, versionId]);
  const key = useMemo(() => requestKey(body), [body]);

  const estimate = useExportEstimate(body, key);
  const { current, setCurrent, active: currentActive, watchProblem, setWatchProblem, refresh: refreshCurrent } = useFollowedExport();
  // Opening the dialog while an export of this version is still going: follow it.
  const { history, setPage: setHistoryPage, reload: reloadHistory } = useExportHistoryPage(project.id, (items) => {
    const going = items.find((e) => e.version_id === versionId && !isExportFinished(e.status));
    if (going) setCurrent((c) => c ?? going);
  });
  const music = useMusic(project.id);
  const boardShots = useBoardShots(project.id, versionId);
  const previewMutation = useExportPreview();
  const preview: PreviewState =
    previewMutation.status === 'pending'
      ? { kind: 'loading' }
      : previewMutation.status === 'success'
        ? { kind: 'ready', preview: previewMutation.data }
        : previewMutation.status === 'error'
          ? { kind: 'error', error: previewMutation.error }
          : { kind: 'idle' };

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

  const video = useVideoUrl(current && isPlayable(current) ? current.video_url : null);
  const previewVideo = useVideoUrl(preview.kind === 'ready' ? preview.preview.video_url : null);
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
  const shownError = startError ?? estimate.error;
  const errorField = isApi(shownError) ? exportFieldFor(shownError.field) : null;
  const fieldErrors: Partial<Record<ExportFormField, string>> =
    errorField && isApi(shownError) ? { [errorField]: fieldErrorMessage(shownError) } : {};
  const formError = shownError && !errorField ? shownError : null;
  const est = estimate.estimate;
  const estimateFresh = estimate.fresh;
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
      refreshCurrent();
    } finally {
      setCancelling(false);
    }
  }

  async function makePreview() {
    if (preview.kind === 'loading') return;
    window.setTimeout(() => previewRef.current?.scrollIntoView({ block: 'nearest' }), 0);
    // The outcome is the mutation's state (shown below); nothing else waits on it.
    await previewMutation
      .mutateAsync({ project_id: project.id, version_id: versionId, speaker_names: settings.speaker_names })
      .catch(() => undefined);
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
              <button type="button" className="button secondary button-sm" data-testid="export-preview-close" onClick={() => previewMutation.reset()}>
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
                  <button type="button" className="button secondary button-sm" onClick={refreshCurrent}>
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
                  onRetry={video.retry}
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
                    {video.url && !video.direct ? (
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
                    <ShareExportButton exportItem={current} />
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
                              <ShareExportButton exportItem={r} compact />
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

        <SharedLinks projectId={project.id} />
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
