import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { loadOf, type Load } from '../../api/load';
import { joinAndRefresh, useActivities, type Activity } from '../../api/operations';
import { keys } from '../../api/queries';
import type { Page } from '../../api/types';
import { useLocale, useT } from '../../i18n';
import { formatCount, formatDateTime, formatNumber } from '../../lib/format';
import { describeActivity } from '../../lib/operations';
import { errorMessage, fieldErrorMessage, isApiError } from '../../transport';
import './operations.css';

/** What the last Join came to: the server's message and the credits granted, or why it was refused. */
export type JoinOutcome = { activityId: string; ok: true; name: string; credits: number } | { activityId: string; ok: false; message: string };

export interface ActivitiesViewProps {
  activities: Load<Page<Activity>>;
  /** The activity being joined (its id). */
  joining: string | null;
  outcome: JoinOutcome | null;
  onJoin: (activity: Activity) => void;
  onRetry: () => void;
}

/** The activities running now, what each gives, and Join. */
export function ActivitiesView(p: ActivitiesViewProps) {
  const t = useT();
  const locale = useLocale();
  return (
    <section className="panel credit-section ops-section" aria-labelledby="activities-title" data-testid="activities-panel">
      <h2 id="activities-title">{t('operations.activities.title')}</h2>
      <p className="muted pay-form-note">{t('operations.activities.subtitle')}</p>
      {p.activities.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}
      {p.activities.kind === 'error' && (
        <div className="load-error" role="alert" data-testid="activities-error">
          <div>
            <h2>{t('operations.activities.loadFailed')}</h2>
            <p>{p.activities.message}</p>
          </div>
          <button type="button" className="button secondary" onClick={p.onRetry}>
            {t('common.tryAgain')}
          </button>
        </div>
      )}
      {p.activities.kind === 'ready' && p.activities.data.items.length === 0 && (
        <p className="muted" data-testid="activities-none">
          {t('operations.activities.none')}
        </p>
      )}
      {p.activities.kind === 'ready' && p.activities.data.items.length > 0 && (
        <ul className="ops-activities" data-testid="activities">
          {p.activities.data.items.map((a) => {
            const refused = p.outcome && !p.outcome.ok && p.outcome.activityId === a.id ? p.outcome.message : null;
            return (
              <li key={a.id} className="ops-activity" data-testid={`activity-${a.id}`} data-type={a.type} data-joined={a.joined}>
                <div className="ops-activity-head">
                  <strong>{a.name}</strong>
                  <span className="badge">{t(`operations.activityType.${a.type}`)}</span>
                </div>
                <p className="ops-activity-benefit" data-testid={`activity-benefit-${a.id}`}>
                  {describeActivity(a)}
                </p>
                {a.description && <p className="muted ops-activity-description">{a.description}</p>}
                <p className="muted ops-activity-meta">
                  {t('operations.activities.ends', { time: formatDateTime(a.end_time, locale) })} ·{' '}
                  {t('operations.activities.participants', { count: a.participants, formatted: formatNumber(a.participants, locale) })}
                </p>
                {a.joined ? (
                  <span className="badge ops-joined" data-testid={`activity-joined-${a.id}`}>
                    {t('operations.activities.joined')}
                  </span>
                ) : (
                  <button
                    type="button"
                    className="button primary button-sm"
                    disabled={p.joining !== null || a.status !== 'active'}
                    onClick={() => p.onJoin(a)}
                    data-testid={`activity-join-${a.id}`}
                  >
                    {p.joining === a.id ? t('operations.activities.joining') : t('operations.activities.join')}
                  </button>
                )}
                {refused && (
                  <p className="form-error" role="alert" data-testid={`activity-join-error-${a.id}`}>
                    {refused}
                  </p>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {p.outcome?.ok && (
        <p className="pay-outcome pay-outcome-paid" role="status" data-testid="activity-join-result" data-credits={p.outcome.credits}>
          {p.outcome.credits > 0
            ? t('operations.activities.joinedCredits', { name: p.outcome.name, credits: formatCount('credit', p.outcome.credits) })
            : t('operations.activities.joinedNoCredits', { name: p.outcome.name })}
        </p>
      )}
    </section>
  );
}

/** The message for a refused Join: 422 (not running) and 409 (joined already) carry the server's text. */
export function joinErrorMessage(e: unknown): string {
  return isApiError(e) && (e.status === 409 || e.field === 'activity') ? fieldErrorMessage(e) : errorMessage(e);
}

/** The Credits page's activities (accounts mode): Join, then the list and the balance read afresh. */
export function ActivitiesPanel() {
  const queryClient = useQueryClient();
  const activities = loadOf(useActivities({ status: 'active', page: 1, limit: 50 }));
  const [joining, setJoining] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<JoinOutcome | null>(null);

  async function join(a: Activity) {
    setJoining(a.id);
    setOutcome(null);
    try {
      const r = await joinAndRefresh(queryClient, a.id);
      setOutcome({ activityId: a.id, ok: true, name: a.name, credits: r.credits_granted });
    } catch (e) {
      setOutcome({ activityId: a.id, ok: false, message: joinErrorMessage(e) });
    } finally {
      setJoining(null);
    }
  }

  return (
    <ActivitiesView
      activities={activities}
      joining={joining}
      outcome={outcome}
      onJoin={(a) => void join(a)}
      onRetry={() => void queryClient.invalidateQueries({ queryKey: keys.operations.activitiesAll })}
    />
  );
}
