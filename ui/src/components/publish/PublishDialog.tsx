import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useId, useMemo, useState } from 'react';
import { publishCreation, usePlatforms, type Platform, type PublishJob } from '../../api/publish';
import { loadOf } from '../../api/load';
import { keys } from '../../api/queries';
import { useLocale, useT } from '../../i18n';
import {
  acceptedKindsLabel,
  isScheduled,
  jobSummary,
  platformAvailability,
  platformName,
  platformNote,
  publishErrorText,
  publishRequest,
  scheduleProblem,
  toLocalInputValue,
  type Schedule,
} from '../../lib/publish';
import { formatDateTime } from '../../lib/format';
import { routeHash } from '../../lib/route';
import { AlertIcon } from '../Icons';
import { Modal } from '../Modal';
import { useToasts } from '../Toasts';
import { BindAccountForm } from './BindAccountForm';
import './publish.css';

/** What is published: a creation's id, its kind (`writing`, `video`) and its title. */
export interface PublishTarget {
  id: string;
  type: string;
  title?: string | undefined;
}

/**
 * Sends the publish request: the chosen platforms in the list's order, `schedule_time` (RFC 3339)
 * for a time. The history reads afresh. Rejects with the ApiError (422 `PLATFORM_NOT_BOUND`,
 * `PUBLISH_UNSUPPORTED`, `VALIDATION_ERROR`).
 */
export function sendPublish(queryClient: QueryClient, creationId: string, platforms: readonly Platform[], chosen: ReadonlySet<string>, schedule: Schedule): Promise<PublishJob> {
  const ordered = platforms.map((p) => p.platform).filter((id) => chosen.has(id));
  return publishCreation(queryClient, publishRequest(creationId, ordered, schedule));
}

interface Props {
  creation: PublishTarget;
  onClose: () => void;
  /** The platforms ticked as it opens (tests). */
  initialSelected?: readonly string[];
  initialSchedule?: Schedule;
  /** The platform whose Bind account form is open as it opens (tests). */
  initialBinding?: string | null;
}

/**
 * Publish a creation: the platforms (a box to tick where it can go now: the platform publishes
 * this kind and an account is bound; Bind account in place for one that is not; the note of one
 * that cannot publish), now or at a time, then `POST /publish` (a job, followed in `#/publish`).
 */
export function PublishDialog({ creation, onClose, initialSelected = [], initialSchedule = { mode: 'now' }, initialBinding = null }: Props) {
  const t = useT();
  const locale = useLocale();
  const id = useId();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const platforms = loadOf(usePlatforms());
  const [chosen, setChosen] = useState<ReadonlySet<string>>(() => new Set(initialSelected));
  const [schedule, setSchedule] = useState<Schedule>(initialSchedule);
  const [binding, setBinding] = useState<string | null>(initialBinding);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [scheduleError, setScheduleError] = useState<string | null>(null);
  const [job, setJob] = useState<PublishJob | null>(null);
  const minTime = useMemo(() => toLocalInputValue(new Date()), []);

  const list = platforms.kind === 'ready' ? platforms.data : null;
  // Only what can be sent counts (a platform unbound since it was ticked does not).
  const selectable = new Set(list?.filter((p) => platformAvailability(p, creation.type) === 'selectable').map((p) => p.platform) ?? []);
  const picked = new Set([...chosen].filter((p) => selectable.has(p)));

  function toggle(platform: string, on: boolean) {
    setChosen((s) => {
      const next = new Set(s);
      if (on) next.add(platform);
      else next.delete(platform);
      return next;
    });
    setError(null);
  }

  async function submit() {
    if (busy || !list || picked.size === 0) return;
    const problem = scheduleProblem(schedule);
    setScheduleError(problem);
    if (problem) return;
    setBusy(true);
    setError(null);
    try {
      const made = await sendPublish(queryClient, creation.id, list, picked, schedule);
      setJob(made);
      toasts.show({ kind: 'success', message: isScheduled(made) ? t('publish.dialog.scheduledToast', { when: formatDateTime(made.schedule_time) }) : t('publish.dialog.sentToast') });
    } catch (e) {
      setError(publishErrorText(e));
      // A platform may have been unbound elsewhere: show the list as it is now.
      void queryClient.invalidateQueries({ queryKey: keys.publish.platforms });
    } finally {
      setBusy(false);
    }
  }

  const title = creation.title ? t('publish.dialog.titleNamed', { title: creation.title }) : t('publish.dialog.title');

  if (job) {
    return (
      <Modal key="done" title={title} onClose={onClose} size="md" testId="publish-dialog">
        <div className="modal-body publish-done" data-testid="publish-done" data-publish-id={job.publish_id}>
          <p>{isScheduled(job) ? t('publish.dialog.scheduled', { when: formatDateTime(job.schedule_time) }) : t('publish.dialog.sent')}</p>
          <p className="muted" data-testid="publish-done-summary">
            {jobSummary(job)}
          </p>
        </div>
        <footer className="modal-footer">
          <a className="button secondary" href={routeHash({ name: 'publish' })} onClick={onClose} data-testid="publish-history-link">
            {t('publish.dialog.openHistory')}
          </a>
          <button type="button" className="button primary" onClick={onClose} data-testid="publish-close">
            {t('common.close')}
          </button>
        </footer>
      </Modal>
    );
  }

  return (
    <Modal key="form" title={title} onClose={onClose} busy={busy} size="md" testId="publish-dialog">
      <div className="modal-body publish-dialog-body">
        {platforms.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}
        {platforms.kind === 'error' && (
          <p className="form-error" role="alert" data-testid="publish-platforms-error">
            <AlertIcon size={14} /> {platforms.message}
          </p>
        )}
        {list && (
          <fieldset className="publish-fieldset">
            <legend>{t('publish.dialog.platforms')}</legend>
            <ul className="publish-platforms" data-testid="publish-platforms">
              {list.map((p) => {
                const availability = platformAvailability(p, creation.type);
                const checkId = `${id}-${p.platform}`;
                return (
                  <li key={p.platform} className={`publish-platform publish-${availability}`} data-testid="publish-platform" data-platform={p.platform} data-availability={availability}>
                    <div className="publish-platform-head">
                      <input
                        id={checkId}
                        type="checkbox"
                        checked={picked.has(p.platform)}
                        disabled={availability !== 'selectable' || busy}
                        onChange={(e) => toggle(p.platform, e.target.checked)}
                        data-testid="publish-check"
                      />
                      <label htmlFor={checkId} className="publish-platform-name">
                        {platformName(p, locale)}
                      </label>
                      {p.bound && p.account && (
                        <span className="chip" data-testid="publish-account">
                          {t('publish.accounts.boundAs', { account: p.account })}
                        </span>
                      )}
                      {availability === 'not_bound' && binding !== p.platform && (
                        <button type="button" className="button secondary button-sm publish-bind-open" onClick={() => setBinding(p.platform)} data-testid="publish-bind-open">
                          {t('publish.bind.open')}
                        </button>
                      )}
                    </div>
                    {availability === 'cannot_publish' && (
                      <p className="muted create-hint" data-testid="publish-note">
                        {platformNote(p, locale)}
                      </p>
                    )}
                    {availability === 'not_accepted' && (
                      <p className="muted create-hint" data-testid="publish-not-accepted">
                        {t('publish.dialog.notAccepted', { kinds: acceptedKindsLabel(p) })}
                      </p>
                    )}
                    {availability === 'not_bound' && binding !== p.platform && (
                      <p className="muted create-hint" data-testid="publish-not-bound">
                        {t('publish.dialog.notBound')}
                      </p>
                    )}
                    {binding === p.platform && (
                      <BindAccountForm
                        platform={p}
                        onCancel={() => setBinding(null)}
                        onBound={(bound) => {
                          setBinding(null);
                          // Bound now: tick it, as the person bound it to publish there.
                          if (platformAvailability(bound, creation.type) === 'selectable') toggle(bound.platform, true);
                        }}
                      />
                    )}
                  </li>
                );
              })}
            </ul>
            {selectable.size === 0 && (
              <p className="parse-note" data-testid="publish-none-selectable">
                {t('publish.dialog.noneSelectable')}
              </p>
            )}
          </fieldset>
        )}
        <fieldset className="publish-fieldset" data-testid="publish-schedule">
          <legend>{t('publish.schedule.label')}</legend>
          <label className="publish-radio">
            <input
              type="radio"
              name={`${id}-when`}
              checked={schedule.mode === 'now'}
              onChange={() => {
                setSchedule({ mode: 'now' });
                setScheduleError(null);
              }}
              data-testid="publish-now"
            />
            {t('publish.schedule.now')}
          </label>
          <label className="publish-radio">
            <input
              type="radio"
              name={`${id}-when`}
              checked={schedule.mode === 'at'}
              onChange={() => setSchedule({ mode: 'at', value: schedule.mode === 'at' ? schedule.value : '' })}
              data-testid="publish-at"
            />
            {t('publish.schedule.at')}
          </label>
          {schedule.mode === 'at' && (
            <div className="form-field">
              <input
                type="datetime-local"
                className={`input input-sm publish-time${scheduleError ? ' invalid' : ''}`}
                value={schedule.value}
                min={minTime}
                aria-label={t('publish.schedule.time')}
                aria-invalid={scheduleError ? true : undefined}
                onChange={(e) => {
                  setSchedule({ mode: 'at', value: e.target.value });
                  setScheduleError(null);
                }}
                data-testid="publish-schedule-time"
              />
              <p className="muted create-hint">{t('publish.schedule.hint')}</p>
            </div>
          )}
          {scheduleError && (
            <p className="field-error" data-testid="publish-schedule-error">
              {scheduleError}
            </p>
          )}
        </fieldset>
        {error && (
          <p className="form-error" role="alert" data-testid="publish-error">
            <AlertIcon size={14} /> {error}
          </p>
        )}
      </div>
      <footer className="modal-footer">
        <button type="button" className="button secondary" onClick={onClose} disabled={busy} data-testid="publish-cancel">
          {t('common.cancel')}
        </button>
        <button type="button" className="button primary" onClick={() => void submit()} disabled={busy || picked.size === 0} data-testid="publish-submit">
          {busy && <span className="spinner spinner-sm" aria-hidden="true" />}
          {busy ? t('publish.dialog.publishing') : schedule.mode === 'at' ? t('publish.dialog.schedule') : t('publish.dialog.publish')}
        </button>
      </footer>
    </Modal>
  );
}
