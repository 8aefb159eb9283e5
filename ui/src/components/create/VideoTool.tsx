import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import {
  generateVideo,
  isVideoFinished,
  MEDIA_LIMITS,
  refreshCreations,
  useVideoTask,
  VIDEO_WORKFLOWS,
  type VideoTask,
  type VideoWorkflow,
} from '../../api/create';
import { keys } from '../../api/queries';
import { useLocale, useT } from '../../i18n';
import { creditsUsedLabel, EMPTY_VIDEO_FORM, VIDEO_FIELDS, VIDEO_WORKFLOW_LABELS, videoProgressPercent, videoRequest, validateVideoForm, type VideoField, type VideoForm } from '../../lib/create';
import { formatNumber } from '../../lib/format';
import { isSendShortcut } from '../../lib/keyboard';
import { hashQuery, routeHash } from '../../lib/route';
import { ApiError } from '../../transport';
import { UploadIcon } from '../Icons';
import { PublishDialog } from '../publish/PublishDialog';
import { CreationVideo } from './CreationFile';
import { MediaError, MediaField, useFieldErrors } from './MediaField';

/** Where the task being followed is kept, so coming back to Create → Video follows it again. */
export const VIDEO_TASK_STORAGE_KEY = 'storyloom.create.videoTask';

export function rememberedVideoTask(): string | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage.getItem(VIDEO_TASK_STORAGE_KEY) || null;
  } catch {
    return null;
  }
}

function rememberVideoTask(id: string | null): void {
  try {
    if (typeof localStorage === 'undefined') return;
    if (id) localStorage.setItem(VIDEO_TASK_STORAGE_KEY, id);
    else localStorage.removeItem(VIDEO_TASK_STORAGE_KEY);
  } catch {
    // Storage refused (private mode): the address still has it.
  }
}

/** `#/create?tool=video&task=<id>`: a reload or a link follows the task. */
export function videoHash(taskId: string | null): string {
  return `${routeHash({ name: 'create' })}?tool=video${taskId ? `&task=${encodeURIComponent(taskId)}` : ''}`;
}

interface Props {
  canEdit: boolean;
  /** The task to follow (the address's `task`, else the one remembered). */
  initialTaskId?: string | null;
  initialForm?: VideoForm;
}

/**
 * Videos: a script (and a length, a workflow, a title) becomes a project, is run through the
 * animatic or full-production workflow, exported and saved as a creation, in the background.
 * The task is followed every second (its stage and progress) until it is completed (the video,
 * its project) or failed. The task id is in the address and remembered, so leaving and coming
 * back follows it again.
 */
export function VideoTool({ canEdit, initialTaskId = null, initialForm = EMPTY_VIDEO_FORM }: Props) {
  const t = useT();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<VideoForm>(initialForm);
  const [taskId, setTaskId] = useState<string | null>(initialTaskId);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const fe = useFieldErrors(VIDEO_FIELDS, error, 'video');
  const task = useVideoTask(taskId);
  const status = task.data?.status;

  function follow(id: string | null) {
    setTaskId(id);
    rememberVideoTask(id);
    // The address names the task while the video tool is the one shown (not after a switch to another tool).
    if (typeof window !== 'undefined' && hashQuery(window.location.hash).get('tool') === 'video') window.history.replaceState(window.history.state, '', videoHash(id));
  }

  // Finished: the video is in Creations, and the run may have charged credits.
  useEffect(() => {
    if (!isVideoFinished(status)) return;
    void refreshCreations(queryClient);
    void queryClient.invalidateQueries({ queryKey: keys.credits.all });
  }, [status, queryClient]);

  // A task that is not there (another workspace's, or none): forget it.
  const gone = task.error instanceof ApiError && task.error.isNotFound;
  useEffect(() => {
    if (gone) rememberVideoTask(null);
  }, [gone]);

  function change(field: VideoField, value: string) {
    setForm((f) => ({ ...f, [field]: value }));
    fe.touch(field);
  }

  async function submit(e?: FormEvent) {
    e?.preventDefault();
    if (sending || !canEdit) return;
    if (!fe.check(validateVideoForm(form))) return;
    setSending(true);
    setError(null);
    try {
      const started = await generateVideo(videoRequest(form));
      queryClient.setQueryData(keys.creations.videoTask(started.task_id), started);
      follow(started.task_id);
    } catch (err) {
      setError(err);
    } finally {
      setSending(false);
    }
  }

  const running = !!task.data && !isVideoFinished(task.data.status);

  return (
    <div className="create-workspace" data-testid="video-tool">
      <section className="panel create-section" aria-label={t('create.video.title')}>
        <form
          className="form writing-form"
          noValidate
          onSubmit={(e) => void submit(e)}
          data-testid="video-form"
          onKeyDown={(e) => {
            if (!isSendShortcut(e) || e.repeat) return;
            e.preventDefault();
            void submit();
          }}
        >
          <header className="writing-form-head">
            <h2>{t('create.video.title')}</h2>
            <p className="muted">{t('create.video.description')}</p>
          </header>
          <MediaField prefix="video" name="title" label={t('create.video.videoTitle')} optional error={fe.errors.title}>
            {(p) => (
              <input {...p} value={form.title} maxLength={MEDIA_LIMITS.videoTitle} placeholder={t('create.video.titlePlaceholder')} onChange={(e) => change('title', e.target.value)} />
            )}
          </MediaField>
          <MediaField prefix="video" name="script" label={t('create.video.script')} error={fe.errors.script} inputClass="input textarea writing-content">
            {(p) => (
              <textarea {...p} rows={10} value={form.script} maxLength={MEDIA_LIMITS.script} placeholder={t('create.video.scriptPlaceholder')} onChange={(e) => change('script', e.target.value)} />
            )}
          </MediaField>
          <div className="video-options">
            <MediaField
              prefix="video"
              name="duration"
              label={t('create.video.duration')}
              optional
              error={fe.errors.duration}
              inputClass="input video-duration"
              hint={<p className="muted create-hint">{t('create.video.durationHint', { min: MEDIA_LIMITS.durationMin, max: MEDIA_LIMITS.durationMax, default: MEDIA_LIMITS.durationDefault })}</p>}
            >
              {(p) => (
                <input
                  {...p}
                  type="number"
                  min={MEDIA_LIMITS.durationMin}
                  max={MEDIA_LIMITS.durationMax}
                  step={1}
                  value={form.duration}
                  placeholder={String(MEDIA_LIMITS.durationDefault)}
                  onChange={(e) => change('duration', e.target.value)}
                />
              )}
            </MediaField>
            <MediaField prefix="video" name="workflow" label={t('create.video.workflow')} error={fe.errors.workflow} inputClass="input select">
              {(p) => (
                <select {...p} value={form.workflow} onChange={(e) => change('workflow', e.target.value as VideoWorkflow)}>
                  {VIDEO_WORKFLOWS.map((w) => (
                    <option key={w} value={w}>
                      {VIDEO_WORKFLOW_LABELS[w]}
                    </option>
                  ))}
                </select>
              )}
            </MediaField>
          </div>
          <p className="muted create-hint" data-testid="video-workflow-note">
            {form.workflow === 'animatic' ? t('create.video.animaticNote') : t('create.video.fullNote')}
          </p>
          {error !== null && !fe.serverNamedField && <MediaError error={error} testId="video-error" onRetry={() => void submit()} notCharged />}
          <div className="writing-actions">
            <button type="submit" className="button primary" disabled={sending || !canEdit} data-testid="video-generate">
              {sending && <span className="spinner spinner-sm" aria-hidden="true" />}
              {sending ? t('create.video.starting') : t('create.video.generate')}
            </button>
            {running && <span className="muted create-hint">{t('create.video.oneAtATime')}</span>}
          </div>
          {!canEdit && <p className="muted create-hint">{t('create.form.viewerNote')}</p>}
        </form>
      </section>
      <section className="panel create-section" aria-labelledby="video-result-title">
        <h2 id="video-result-title">{t('create.result.title')}</h2>
        {taskId === null && (
          <p className="muted generation-empty" data-testid="video-idle">
            {t('create.video.empty')}
          </p>
        )}
        {taskId !== null && task.isPending && <span className="spinner" role="status" aria-label={t('common.loading')} />}
        {taskId !== null && task.isError && !task.data && (
          <div className="generation" data-testid="video-task-error">
            {gone ? (
              <p className="parse-note" role="status">
                {t('create.video.gone')}
              </p>
            ) : (
              <MediaError error={task.error} testId="video-poll-error" onRetry={() => void task.refetch()} notCharged={false} />
            )}
            <button type="button" className="button secondary button-sm" onClick={() => follow(null)}>
              {t('create.video.another')}
            </button>
          </div>
        )}
        {task.data && (
          <VideoTaskPanel
            task={task.data}
            canEdit={canEdit}
            title={form.title.trim()}
            onAnother={() => follow(null)}
            pollError={task.isError ? task.error : null}
            onRetryPoll={() => void task.refetch()}
          />
        )}
      </section>
    </div>
  );
}

interface PanelProps {
  task: VideoTask;
  canEdit: boolean;
  /** The title asked for, when known (for the publish dialog). */
  title?: string;
  onAnother: () => void;
  /** Reading the task again failed (the last state read is shown). */
  pollError?: unknown;
  onRetryPoll?: () => void;
}

/** A video task: its stage and progress while it runs; the video and its project once completed; its error once failed. */
export function VideoTaskPanel({ task, canEdit, title = '', onAnother, pollError = null, onRetryPoll }: PanelProps) {
  const t = useT();
  useLocale();
  const [publishing, setPublishing] = useState(false);
  const pct = videoProgressPercent(task);
  const finished = isVideoFinished(task.status);
  return (
    <section className="generation video-task" data-testid="video-task" data-status={task.status} data-task-id={task.task_id} aria-busy={!finished}>
      <div className="generation-head">
        {!finished && <span className="spinner spinner-sm" aria-hidden="true" />}
        <strong data-testid="video-status">{t(`create.video.status.${task.status}`)}</strong>
        {task.stage && (
          <span className="muted" data-testid="video-stage">
            {task.stage}
          </span>
        )}
      </div>
      <div
        className="progress"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        aria-label={t('create.video.progress')}
        data-testid="video-progress"
      >
        <span className={`progress-fill${task.status === 'completed' ? ' progress-completed' : task.status === 'failed' ? ' progress-failed' : ''}`} style={{ width: `${pct}%` }} />
      </div>
      <p className="muted create-hint" data-testid="video-percent">
        {t('create.video.percent', { percent: formatNumber(pct) })}
      </p>
      {!finished && <p className="muted create-hint">{t('create.video.leaveNote')}</p>}
      {pollError !== null && pollError !== undefined && <MediaError error={pollError} testId="video-poll-error" onRetry={onRetryPoll} notCharged={false} />}
      {task.status === 'failed' && (
        <p className="form-error" role="alert" data-testid="video-failed">
          {task.error || t('create.video.failedNoReason')}
        </p>
      )}
      {task.status === 'completed' && task.video_url && <CreationVideo url={task.video_url} testId="video-player" />}
      <p className="creation-meta">
        {finished && (
          <span className="chip" data-testid="video-credits">
            {creditsUsedLabel(task.credits_used)}
          </span>
        )}
        {task.project_id && (
          <a className="chip" href={routeHash({ name: 'project', id: task.project_id, tab: 'script' })} data-testid="video-project-link">
            {t('create.video.project')}
          </a>
        )}
        {task.status === 'completed' && (
          <a className="chip" href={routeHash({ name: 'creations' })} data-testid="video-creations-link">
            {t('create.result.openCreations')}
          </a>
        )}
      </p>
      {finished && (
        <div className="creation-actions">
          {task.status === 'completed' && task.creation_id && canEdit && (
            <button type="button" className="button secondary button-sm" data-testid="video-publish" onClick={() => setPublishing(true)}>
              <UploadIcon />
              {t('publish.action')}
            </button>
          )}
          <button type="button" className="button secondary button-sm" data-testid="video-another" onClick={onAnother}>
            {t('create.video.another')}
          </button>
        </div>
      )}
      {publishing && task.creation_id && <PublishDialog creation={{ id: task.creation_id, type: 'video', title }} onClose={() => setPublishing(false)} />}
    </section>
  );
}
