import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { loadOf, type Load } from '../../api/load';
import { createCoupon, useCoupons } from '../../api/operations';
import { keys } from '../../api/queries';
import { COUPON_KINDS, type Coupon, type CouponKind, type Page } from '../../api/types';
import { hasKey, useLocale, useT } from '../../i18n';
import { formatDateTime, formatNumber } from '../../lib/format';
import {
  COUPON_FIELDS,
  EMPTY_COUPON_FORM,
  couponBody,
  couponMinimum,
  describeCoupon,
  validateCouponForm,
  type CouponForm,
} from '../../lib/operations';
import type { FieldErrors } from '../../lib/validation';
import { Field } from '../account/Field';
import { Pagination } from '../Pagination';
import { useToasts } from '../Toasts';
import { ListState } from './ListState';
import { useCreateForm } from './useCreateForm';

export interface CouponFormViewProps {
  form: CouponForm;
  errors: FieldErrors;
  busy: boolean;
  formError: string | null;
  onChange: (patch: Partial<CouponForm>) => void;
  onSubmit: () => void;
}

/** The admin's new-coupon form: each refusal under its field. */
export function CouponFormView({ form, errors, busy, formError, onChange, onSubmit }: CouponFormViewProps) {
  const t = useT();
  useLocale();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit();
  };
  return (
    <form className="form ops-form" onSubmit={submit} noValidate data-testid="admin-coupon-form">
      <h3>{t('operations.adminCoupons.newTitle')}</h3>
      <div className="ops-form-grid">
        <Field idPrefix="cp" name="code" label={t('operations.adminCoupons.code')} autoComplete="off" value={form.code} error={errors.code} onChange={(e) => onChange({ code: e.target.value })} />
        <Field idPrefix="cp" name="name" label={t('operations.adminCoupons.name')} autoComplete="off" value={form.name} error={errors.name} onChange={(e) => onChange({ name: e.target.value })} />
        <div className="form-field">
          <label htmlFor="cp-type">{t('operations.adminCoupons.type')}</label>
          <select
            id="cp-type"
            className="input select"
            data-field="type"
            data-testid="coupon-type-select"
            value={form.type}
            onChange={(e) => onChange({ type: e.target.value as CouponKind })}
          >
            {COUPON_KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`operations.couponKind.${k}`)}
              </option>
            ))}
          </select>
          {errors.type && (
            <p className="field-error" data-testid="field-error-type">
              {errors.type}
            </p>
          )}
        </div>
        <Field
          idPrefix="cp"
          name="value"
          label={t(`operations.adminCoupons.value.${form.type}`)}
          inputMode={form.type === 'deduction' ? 'decimal' : 'numeric'}
          autoComplete="off"
          value={form.value}
          error={errors.value}
          onChange={(e) => onChange({ value: e.target.value })}
        />
        <Field
          idPrefix="cp"
          name="min_amount"
          label={t('operations.adminCoupons.minAmount')}
          hint={t('newProject.optional')}
          inputMode="decimal"
          autoComplete="off"
          value={form.min_amount}
          error={errors.min_amount}
          onChange={(e) => onChange({ min_amount: e.target.value })}
        />
        <Field
          idPrefix="cp"
          name="max_usage"
          label={t('operations.adminCoupons.maxUsage')}
          inputMode="numeric"
          autoComplete="off"
          value={form.max_usage}
          error={errors.max_usage}
          onChange={(e) => onChange({ max_usage: e.target.value })}
        />
        <Field idPrefix="cp" name="valid_from" label={t('operations.adminCoupons.validFrom')} type="datetime-local" value={form.valid_from} error={errors.valid_from} onChange={(e) => onChange({ valid_from: e.target.value })} />
        <Field idPrefix="cp" name="valid_until" label={t('operations.adminCoupons.validUntil')} type="datetime-local" value={form.valid_until} error={errors.valid_until} onChange={(e) => onChange({ valid_until: e.target.value })} />
      </div>
      {formError && (
        <p className="form-error" role="alert" data-testid="admin-coupon-error">
          {formError}
        </p>
      )}
      <div>
        <button type="submit" className="button primary" disabled={busy} data-testid="admin-coupon-create">
          {busy ? t('operations.adminCoupons.creating') : t('operations.adminCoupons.create')}
        </button>
      </div>
    </form>
  );
}

/** Every coupon, with how much of it is used. */
export function AdminCouponsTable({ coupons, onPage }: { coupons: Load<Page<Coupon>>; onPage: (page: number) => void }) {
  const t = useT();
  const locale = useLocale();
  if (coupons.kind !== 'ready' || coupons.data.items.length === 0) {
    return <ListState load={coupons} testId="admin-coupons" none={t('operations.adminCoupons.none')} />;
  }
  return (
    <>
      <table className="credit-table" data-testid="admin-coupons-table">
        <thead>
          <tr>
            <th>{t('operations.coupons.colCode')}</th>
            <th>{t('operations.coupons.colName')}</th>
            <th>{t('operations.coupons.colValue')}</th>
            <th className="num">{t('operations.adminCoupons.colUsed')}</th>
            <th>{t('operations.adminCoupons.colWindow')}</th>
            <th>{t('operations.coupons.colStatus')}</th>
          </tr>
        </thead>
        <tbody>
          {coupons.data.items.map((c) => {
            const min = couponMinimum(c);
            const statusKey = `operations.adminCoupons.status.${c.status}`;
            return (
              <tr key={c.id} data-testid="admin-coupon-row" data-code={c.code} data-status={c.status}>
                <td>
                  <code>{c.code}</code>
                </td>
                <td className="cell-strong">{c.name}</td>
                <td>
                  {describeCoupon(c)}
                  {min && <span className="muted ops-note">{min}</span>}
                </td>
                <td className="num">{t('operations.adminCoupons.used', { used: formatNumber(c.used_count, locale), max: formatNumber(c.max_usage, locale) })}</td>
                <td>{t('operations.adminCoupons.window', { from: formatDateTime(c.valid_from, locale), until: formatDateTime(c.valid_until, locale) })}</td>
                <td>{hasKey(statusKey) ? t(statusKey as never) : c.status}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <Pagination page={coupons.data.page} totalPages={coupons.data.totalPages} total={coupons.data.total} limit={coupons.data.limit} onPage={onPage} />
    </>
  );
}

const PAGE_SIZE = 20;

/** `#/admin/coupons`: create a coupon; every coupon. */
export function AdminCoupons() {
  const t = useT();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  const coupons = loadOf(useCoupons({ status: 'all', page, limit: PAGE_SIZE }));
  const create = useCreateForm({
    empty: EMPTY_COUPON_FORM,
    validate: validateCouponForm,
    create: (form: CouponForm) => createCoupon(couponBody(form)),
    onCreated: (created) => {
      toasts.show({ kind: 'success', message: t('operations.adminCoupons.created', { code: created.code }) });
      void queryClient.invalidateQueries({ queryKey: keys.operations.couponsAll });
    },
    fields: COUPON_FIELDS,
    conflictField: 'code',
  });

  return (
    <div className="ops-admin-tab" data-testid="admin-coupons">
      <section className="panel credit-section">
        <CouponFormView
          form={create.form}
          errors={create.errors}
          busy={create.busy}
          formError={create.formError}
          onChange={create.onChange}
          onSubmit={create.submit}
        />
      </section>
      <section className="panel credit-section" aria-labelledby="admin-coupons-title">
        <h2 id="admin-coupons-title">{t('operations.adminCoupons.list')}</h2>
        <AdminCouponsTable coupons={coupons} onPage={setPage} />
      </section>
    </div>
  );
}
