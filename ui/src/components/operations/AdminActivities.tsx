import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { loadOf, type Load } from '../../api/load';
import { ACTIVITY_TYPES, createActivity, useActivities, type Activity, type ActivityType } from '../../api/operations';
import { keys } from '../../api/queries';
import type { Page } from '../../api/types';
import { useLocale, useT } from '../../i18n';
import { formatDateTime, formatNumber } from '../../lib/format';
import {
  ACTIVITY_FIELDS,
  EMPTY_ACTIVITY_FORM,
  activityBody,
  describeActivity,
  takesCredits,
  validateActivityForm,
  type ActivityForm,
} from '../../lib/operations';
import type { FieldErrors } from '../../lib/validation';
import { Field } from '../account/Field';
import { Pagination } from '../Pagination';
import { useToasts } from '../Toasts';
import { ListState } from './ListState';
import { useCreateForm } from './useCreateForm';

export interface ActivityFormViewProps {
  form: ActivityForm;
  errors: FieldErrors;
  busy: boolean;
  formError: string | null;
  onChange: (patch: Partial<ActivityForm>) => void;
  onSubmit: () => void;
}

/** The admin's new-activity form: credits or a percent by type; each refusal under its field. */
export function ActivityFormView({ form, errors, busy, formError, onChange, onSubmit }: ActivityFormViewProps) {
  const t = useT();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit();
  };
  return (
    <form className="form ops-form" onSubmit={submit} noValidate data-testid="admin-activity-form">
      <h3>{t('operations.adminActivities.newTitle')}</h3>
      <div className="ops-form-grid">
        <Field idPrefix="act" name="name" label={t('operations.adminActivities.name')} autoComplete="off" value={form.name} error={errors.name} onChange={(e) => onChange({ name: e.target.value })} />
        <div className="form-field">
          <label htmlFor="act-type">{t('operations.adminActivities.type')}</label>
          <select
            id="act-type"
            className="input select"
            data-field="type"
            data-testid="activity-type-select"
            value={form.type}
            onChange={(e) => onChange({ type: e.target.value as ActivityType })}
          >
            {ACTIVITY_TYPES.map((k) => (
              <option key={k} value={k}>
                {t(`operations.activityType.${k}`)}
              </option>
            ))}
          </select>
          {errors.type && (
            <p className="field-error" data-testid="field-error-type">
              {errors.type}
            </p>
          )}
        </div>
        {takesCredits(form.type) ? (
          <Field
            idPrefix="act"
            name="credits"
            label={t('operations.adminActivities.credits')}
            inputMode="numeric"
            autoComplete="off"
            value={form.credits}
            error={errors.credits}
            onChange={(e) => onChange({ credits: e.target.value })}
          />
        ) : (
          <Field
            idPrefix="act"
            name="percent"
            label={t('operations.adminActivities.percent')}
            inputMode="numeric"
            autoComplete="off"
            value={form.percent}
            error={errors.percent}
            onChange={(e) => onChange({ percent: e.target.value })}
          />
        )}
        <Field idPrefix="act" name="start_time" label={t('operations.adminActivities.start')} type="datetime-local" value={form.start_time} error={errors.start_time} onChange={(e) => onChange({ start_time: e.target.value })} />
        <Field idPrefix="act" name="end_time" label={t('operations.adminActivities.end')} type="datetime-local" value={form.end_time} error={errors.end_time} onChange={(e) => onChange({ end_time: e.target.value })} />
      </div>
      <Field
        idPrefix="act"
        name="description"
        label={t('operations.adminActivities.description')}
        hint={t('newProject.optional')}
        autoComplete="off"
        value={form.description}
        error={errors.description}
        onChange={(e) => onChange({ description: e.target.value })}
      />
      {formError && (
        <p className="form-error" role="alert" data-testid="admin-activity-error">
          {formError}
        </p>
      )}
      <div>
        <button type="submit" className="button primary" disabled={busy} data-testid="admin-activity-create">
          {busy ? t('operations.adminActivities.creating') : t('operations.adminActivities.create')}
        </button>
      </div>
    </form>
  );
}

/** Every activity: what it gives, when, its status and how many joined. */
export function AdminActivitiesTable({ activities, onPage }: { activities: Load<Page<Activity>>; onPage: (page: number) => void }) {
  const t = useT();
  const locale = useLocale();
  if (activities.kind !== 'ready' || activities.data.items.length === 0) {
    return <ListState load={activities} testId="admin-activities" none={t('operations.adminActivities.none')} />;
  }
  return (
    <>
      <table className="credit-table" data-testid="admin-activities-table">
        <thead>
          <tr>
            <th>{t('operations.adminActivities.colName')}</th>
            <th>{t('operations.adminActivities.colType')}</th>
            <th>{t('operations.adminActivities.colBenefit')}</th>
            <th>{t('operations.adminActivities.colWhen')}</th>
            <th>{t('operations.adminActivities.colStatus')}</th>
            <th className="num">{t('operations.adminActivities.colParticipants')}</th>
          </tr>
        </thead>
        <tbody>
          {activities.data.items.map((a) => (
            <tr key={a.id} data-testid="admin-activity-row" data-activity={a.id} data-status={a.status}>
              <td className="cell-strong">{a.name}</td>
              <td>{t(`operations.activityType.${a.type}`)}</td>
              <td>{describeActivity(a)}</td>
              <td>{t('operations.adminCoupons.window', { from: formatDateTime(a.start_time, locale), until: formatDateTime(a.end_time, locale) })}</td>
              <td>
                <span className={`badge ops-activity-${a.status}`}>{t(`operations.activityStatus.${a.status}`)}</span>
              </td>
              <td className="num">{formatNumber(a.participants, locale)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pagination page={activities.data.page} totalPages={activities.data.totalPages} total={activities.data.total} limit={activities.data.limit} onPage={onPage} />
    </>
  );
}

const PAGE_SIZE = 20;

/** `#/admin/activities`: create an activity; every activity. */
export function AdminActivities() {
  const t = useT();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  const activities = loadOf(useActivities({ status: 'all', page, limit: PAGE_SIZE }));
  const create = useCreateForm({
    empty: EMPTY_ACTIVITY_FORM,
    validate: validateActivityForm,
    create: (form: ActivityForm) => createActivity(activityBody(form)),
    onCreated: (created) => {
      toasts.show({ kind: 'success', message: t('operations.adminActivities.created', { name: created.name }) });
      void queryClient.invalidateQueries({ queryKey: keys.operations.activitiesAll });
    },
    fields: ACTIVITY_FIELDS,
  });

  return (
    <div className="ops-admin-tab" data-testid="admin-activities">
      <section className="panel credit-section">
        <ActivityFormView
          form={create.form}
          errors={create.errors}
          busy={create.busy}
          formError={create.formError}
          onChange={create.onChange}
          onSubmit={create.submit}
        />
      </section>
      <section className="panel credit-section" aria-labelledby="admin-activities-title">
        <h2 id="admin-activities-title">{t('operations.adminActivities.list')}</h2>
        <AdminActivitiesTable activities={activities} onPage={setPage} />
      </section>
    </div>
  );
}
