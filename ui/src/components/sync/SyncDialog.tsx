import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { ConnectionStatus } from '../../api/remote';
import { linkAndCache, syncNowAndCache, unlinkAndCache, useSyncConflicts, useSyncEvents, type SyncConflict, type SyncEvent, type SyncStatus } from '../../api/sync';
import { useLocale, useT } from '../../i18n';
import { copyText } from '../../lib/clipboard';
import { formatDateTime, formatNumber } from '../../lib/format';
import { errorMessage } from '../../transport';
import { hostOf } from '../connection/connection';
import { Modal } from '../Modal';
import { conflictWhat, decisionLabel, defaultWorkspaceId, eventTime, eventWho, formatStamp, linkError, reasonLabel, shortId, truncate, valueText, whoLabel } from './sync';

export type SyncBusy = null | 'link' | 'sync' | 'unlink';

export interface SyncDialogViewProps {
  /** Null: not linked (the link form is shown). */
  status: SyncStatus | null;
  serverUrl: string | null;
  workspaceId: string;
  /** The link form's field error (`workspace_id`) and the dialog's error. */
  fieldError: string | null;
  formError: string | null;
  busy: SyncBusy;
  confirmingUnlink: boolean;
  conflicts: SyncConflict[] | undefined;
  conflictsError: string | null;
  /** The review decisions, newest first (undefined while loading). */
  events: SyncEvent[] | undefined;
  eventsError: string | null;
  onWorkspaceChange: (v: string) => void;
  onLink: () => void;
  onSyncNow: () => void;
  onAskUnlink: () => void;
  onCancelUnlink: () => void;
  onUnlink: () => void;
  onClose: () => void;
}

/** One side of a conflict: the value (cut when long, with "Show all"), who and when. */
function ConflictSide(p: { label: string; value: unknown; by: string | null | undefined; stamp: string; copyable: boolean; testId: string }) {
  const t = useT();
  const locale = useLocale();
  const [all, setAll] = useState(false);
  const [copyFailed, setCopyFailed] = useState(false);
  const full = valueText(p.value);
  const shown = truncate(full);
  return (
    <div className="sync-side" data-testid={p.testId}>
      <strong>{p.label}</strong>
      <pre className="sync-value" data-testid={`${p.testId}-value`}>
        {full === '' ? t('sync.empty') : all ? full : shown.text}
      </pre>
      <div className="sync-side-meta">
        {whoLabel(p.by)} · {t('sync.at', { time: formatStamp(p.stamp, locale) })}
      </div>
      <div className="sync-side-actions">
        {shown.cut && (
          <button type="button" className="button secondary button-sm" data-testid={`${p.testId}-toggle`} onClick={() => setAll(!all)}>
            {all ? t('sync.showLess') : t('sync.showAll')}
          </button>
        )}
        {p.copyable && full !== '' && (
          <button
            type="button"
            className="button secondary button-sm"
            data-testid={`${p.testId}-copy`}
            onClick={() => void copyText(full).then((ok) => setCopyFailed(!ok), () => setCopyFailed(true))}
          >
            {t('sync.copySetAside')}
          </button>
        )}
      </div>
      {copyFailed && (
        <p className="field-error" role="alert">
          {t('sync.copyFailed')}
        </p>
      )}
    </div>
  );
}

export function ConflictList({ conflicts }: { conflicts: SyncConflict[] }) {
  const t = useT();
  if (conflicts.length === 0) return <p className="muted" data-testid="sync-no-conflicts">{t('sync.noConflicts')}</p>;
  return (
    <ul className="sync-conflicts" data-testid="sync-conflicts">
      {conflicts.map((c) => (
        <li key={c.id} className="sync-conflict" data-testid="sync-conflict" data-conflict-id={c.id}>
          <div className="sync-conflict-head">
            <span data-testid="sync-conflict-what">{conflictWhat(c)}</span>
            <span className="muted" data-testid="sync-conflict-reason">{reasonLabel(c.reason)}</span>
          </div>
          <div className="sync-conflict-sides">
            <ConflictSide label={t('sync.kept')} value={c.kept_value} by={c.kept_by} stamp={c.kept_stamp} copyable={false} testId="sync-kept" />
            <ConflictSide label={t('sync.setAside')} value={c.set_aside_value} by={c.set_aside_by} stamp={c.set_aside_stamp} copyable testId="sync-set-aside" />
          </div>
        </li>
      ))}
    </ul>
  );
}

/** The review decisions, newest first: the decision, the shot (and comment), who and when. */
export function EventList({ events }: { events: SyncEvent[] }) {
  const t = useT();
  const locale = useLocale();
  if (events.length === 0) return <p className="muted" data-testid="sync-no-events">{t('sync.noEvents')}</p>;
  return (
    <ul className="sync-events" data-testid="sync-events">
      {events.map((e) => (
        <li key={e.id} className="sync-event" data-testid="sync-event" data-decision={e.payload.decision}>
          <div className="sync-event-head">
            <strong data-testid="sync-event-decision">{decisionLabel(e.payload.decision)}</strong>
            <span data-testid="sync-event-shot" title={e.payload.shot_id}>
              {t('sync.shot', { shot: shortId(e.payload.shot_id) })}
            </span>
          </div>
          {e.payload.comment.trim() !== '' && (
            <p className="sync-event-comment" data-testid="sync-event-comment">
              {e.payload.comment}
            </p>
          )}
          <div className="sync-side-meta" data-testid="sync-event-meta">
            {eventWho(e.by)} · {t('sync.at', { time: eventTime(e, locale) })}
          </div>
        </li>
      ))}
    </ul>
  );
}

/** The sync dialog: the link form when not linked; else the state, the actions and the conflicts. */
export function SyncDialogView(p: SyncDialogViewProps) {
  const t = useT();
  const locale = useLocale();
  const server = hostOf(p.status?.server_url ?? p.serverUrl);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    p.onLink();
  };
  return (
    <Modal title={t('sync.title')} onClose={p.onClose} busy={p.busy !== null} size="lg" testId="sync-dialog">
      {p.status === null ? (
        <form className="modal-body form" onSubmit={submit} noValidate data-testid="sync-link-form">
          <p className="muted">{t('sync.intro', { server })}</p>
          <div className="form-field">
            <label htmlFor="sync-workspace">{t('sync.workspace')}</label>
            <input
              id="sync-workspace"
              className={`input${p.fieldError ? ' invalid' : ''}`}
              data-testid="sync-workspace"
              value={p.workspaceId}
              disabled={p.busy !== null}
              aria-invalid={p.fieldError ? true : undefined}
              onChange={(e) => p.onWorkspaceChange(e.target.value)}
            />
            <p className="muted">{t('sync.workspaceHint')}</p>
            {p.fieldError && (
              <p className="field-error" data-testid="field-error-workspace_id">
                {p.fieldError}
              </p>
            )}
          </div>
          {p.formError && (
            <p className="form-error" role="alert" data-testid="sync-form-error">
              {p.formError}
            </p>
          )}
          <footer className="modal-footer">
            <button type="button" className="button secondary" onClick={p.onClose} disabled={p.busy !== null}>
              {t('common.cancel')}
            </button>
            <button type="submit" className="button primary" disabled={p.busy !== null} data-testid="sync-link">
              {p.busy === 'link' ? t('sync.linking') : t('sync.link')}
            </button>
          </footer>
        </form>
      ) : (
        <div className="modal-body" data-testid="sync-linked" data-state={p.status.state}>
          <dl className="sync-facts">
            <dt>{t('sync.state')}</dt>
            <dd data-testid="sync-state">{t(`sync.states.${p.status.state}`)}</dd>
            <dt>{t('sync.server')}</dt>
            <dd>
              {server} · {p.status.workspace_id}
            </dd>
            {p.status.workspace_balance != null && (
              <>
                <dt>{t('sync.balance')}</dt>
                <dd data-testid="sync-balance" title={t('sync.balanceHint')}>
                  {formatNumber(p.status.workspace_balance, locale)}
                </dd>
              </>
            )}
            <dt>{t('sync.lastSynced')}</dt>
            <dd data-testid="sync-last-synced">{p.status.last_synced_at ? formatDateTime(p.status.last_synced_at, locale) : t('sync.never')}</dd>
            {p.status.last_error && (
              <>
                <dt>{t('sync.lastError')}</dt>
                <dd data-testid="sync-last-error">
                  {p.status.last_error}
                  {p.status.next_try_at ? ` ${t('sync.retryAt', { time: formatDateTime(p.status.next_try_at, locale) })}` : ''}
                </dd>
              </>
            )}
          </dl>
          <div className="sync-actions">
            <button type="button" className="button primary" disabled={p.busy !== null} onClick={p.onSyncNow} data-testid="sync-now">
              {p.busy === 'sync' ? t('sync.syncing') : t('sync.syncNow')}
            </button>
            <button type="button" className="button secondary" disabled={p.busy !== null} onClick={p.onAskUnlink} data-testid="sync-unlink">
              {t('sync.unlink')}
            </button>
          </div>
          {p.confirmingUnlink && (
            <div className="sync-confirm" role="alertdialog" data-testid="sync-unlink-confirm">
              <p>{t('sync.unlinkConfirm')}</p>
              <div className="sync-actions">
                <button type="button" className="button secondary" disabled={p.busy !== null} onClick={p.onCancelUnlink}>
                  {t('common.cancel')}
                </button>
                <button type="button" className="button danger" disabled={p.busy !== null} onClick={p.onUnlink} data-testid="sync-unlink-yes">
                  {p.busy === 'unlink' ? t('sync.unlinking') : t('sync.unlinkYes')}
                </button>
              </div>
            </div>
          )}
          {p.formError && (
            <p className="form-error" role="alert" data-testid="sync-form-error">
              {p.formError}
            </p>
          )}
          <h3>{t('sync.conflictList')}</h3>
          {p.conflictsError ? (
            <p className="form-error" role="alert">
              {p.conflictsError}
            </p>
          ) : p.conflicts ? (
            <ConflictList conflicts={p.conflicts} />
          ) : (
            <p className="muted">{t('sync.conflictsLoading')}</p>
          )}
          <h3>{t('sync.eventList')}</h3>
          {p.eventsError ? (
            <p className="form-error" role="alert">
              {p.eventsError}
            </p>
          ) : p.events ? (
            <EventList events={p.events} />
          ) : (
            <p className="muted">{t('sync.eventsLoading')}</p>
          )}
        </div>
      )}
    </Modal>
  );
}

/** The dialog's actions, each reporting its error to `report` (exported for the tests). */
export function syncActions(
  queryClient: ReturnType<typeof useQueryClient>,
  projectId: string,
  set: { busy: (b: SyncBusy) => void; report: (field: string | null, message: string | null) => void; confirmed: () => void },
) {
  const run = async (kind: Exclude<SyncBusy, null>, work: () => Promise<unknown>) => {
    set.busy(kind);
    set.report(null, null);
    try {
      await work();
      if (kind === 'unlink') set.confirmed();
    } catch (e) {
      if (kind === 'link') {
        const m = linkError(e);
        set.report(m.field, m.message);
      } else {
        set.report(null, errorMessage(e));
      }
    } finally {
      set.busy(null);
    }
  };
  return {
    link: (workspaceId: string) => run('link', () => linkAndCache(queryClient, projectId, workspaceId)),
    syncNow: () => run('sync', () => syncNowAndCache(queryClient, projectId)),
    unlink: () => run('unlink', () => unlinkAndCache(queryClient, projectId)),
  };
}

export function SyncDialog(p: { projectId: string; status: SyncStatus | null; connection: ConnectionStatus | null; onClose: () => void }) {
  const t = useT();
  const queryClient = useQueryClient();
  const [workspaceId, setWorkspaceId] = useState(() => defaultWorkspaceId(p.connection));
  const [busy, setBusy] = useState<SyncBusy>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [confirmingUnlink, setConfirmingUnlink] = useState(false);
  const conflicts = useSyncConflicts(p.projectId, p.status?.conflicts ?? 0, p.status !== null);
  const events = useSyncEvents(p.projectId, p.status !== null, p.status?.last_synced_at ?? null);
  const actions = syncActions(queryClient, p.projectId, {
    busy: setBusy,
    report: (field, message) => {
      setFieldError(field ? message : null);
      setFormError(field ? null : message);
    },
    confirmed: () => setConfirmingUnlink(false),
  });
  return (
    <SyncDialogView
      status={p.status}
      serverUrl={p.connection?.server_url ?? null}
      workspaceId={workspaceId}
      fieldError={fieldError}
      formError={formError}
      busy={busy}
      confirmingUnlink={confirmingUnlink}
      conflicts={conflicts.data}
      conflictsError={conflicts.error ? errorMessage(conflicts.error) : null}
      events={events.data}
      eventsError={events.error ? errorMessage(events.error) : null}
      onWorkspaceChange={setWorkspaceId}
      onLink={() => {
        if (!workspaceId.trim()) {
          setFieldError(t('sync.enterWorkspace'));
          return;
        }
        void actions.link(workspaceId);
      }}
      onSyncNow={() => void actions.syncNow()}
      onAskUnlink={() => setConfirmingUnlink(true)}
      onCancelUnlink={() => setConfirmingUnlink(false)}
      onUnlink={() => void actions.unlink()}
      onClose={p.onClose}
    />
  );
}
