import { useState } from 'react';
import { loadOf, type Load } from '../../api/load';
import { useStatistics, type OperationStats, type StatsQuery } from '../../api/operations';
import { useLocale, useT } from '../../i18n';
import { formatDate, formatNumber } from '../../lib/format';
import { formatRate } from '../../lib/operations';
import { formatMoney } from '../../lib/payments';

export interface AdminStatisticsViewProps {
  stats: Load<OperationStats>;
  range: StatsQuery;
  onRange: (range: StatsQuery) => void;
}

/** The server's figures for a range of days (the last 30 by default). */
export function AdminStatisticsView({ stats, range, onRange }: AdminStatisticsViewProps) {
  const t = useT();
  const locale = useLocale();
  const data = stats.kind === 'ready' ? stats.data : null;
  return (
    <section className="panel credit-section" aria-labelledby="stats-title" data-testid="admin-statistics">
      <div className="toolbar">
        <label className="inline-field">
          <span>{t('operations.stats.from')}</span>
          <input
            type="date"
            className="input input-sm"
            value={range.start_date ?? ''}
            max={range.end_date || undefined}
            onChange={(e) => onRange({ ...range, start_date: e.target.value || undefined })}
            data-testid="stats-start"
          />
        </label>
        <label className="inline-field">
          <span>{t('operations.stats.to')}</span>
          <input
            type="date"
            className="input input-sm"
            value={range.end_date ?? ''}
            min={range.start_date || undefined}
            onChange={(e) => onRange({ ...range, end_date: e.target.value || undefined })}
            data-testid="stats-end"
          />
        </label>
        <button type="button" className="button secondary button-sm" disabled={!range.start_date && !range.end_date} onClick={() => onRange({})} data-testid="stats-reset">
          {t('operations.stats.lastDays')}
        </button>
      </div>
      <h2 id="stats-title" className="ops-stats-range" data-testid="stats-range">
        {data ? t('operations.stats.range', { start: formatDate(data.start_date, locale), end: formatDate(data.end_date, locale) }) : '\u00a0'}
      </h2>
      {stats.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}
      {stats.kind === 'error' && (
        <p className="form-error" role="alert" data-testid="stats-error">
          {t('operations.stats.loadFailed')}: {stats.message}
        </p>
      )}
      {data && (
        <div className="credit-stats">
          <StatCard label={t('operations.stats.revenue')} value={formatMoney(data.total_revenue_cents, 'CNY', locale)} testId="stats-revenue" />
          <StatCard label={t('operations.stats.newUsers')} value={formatNumber(data.new_users, locale)} testId="stats-new-users" />
          <StatCard label={t('operations.stats.totalUsers')} value={formatNumber(data.total_users, locale)} testId="stats-total-users" />
          <StatCard label={t('operations.stats.creditsSold')} value={formatNumber(data.total_credits_sold, locale)} testId="stats-credits-sold" />
          <StatCard label={t('operations.stats.paidOrders')} value={formatNumber(data.paid_orders, locale)} testId="stats-paid-orders" />
          <StatCard label={t('operations.stats.payingUsers')} value={formatNumber(data.paying_users, locale)} testId="stats-paying-users" />
          <StatCard label={t('operations.stats.activeMembers')} value={formatNumber(data.active_members, locale)} testId="stats-active-members" />
          <StatCard label={t('operations.stats.conversion')} value={formatRate(data.conversion_rate)} testId="stats-conversion" />
        </div>
      )}
    </section>
  );
}

function StatCard({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="credit-stat">
      <span className="credit-stat-label">{label}</span>
      <span className="credit-stat-value" data-testid={testId}>
        {value}
      </span>
    </div>
  );
}

/** `#/admin/statistics`. */
export function AdminStatistics() {
  const [range, setRange] = useState<StatsQuery>({});
  const stats = loadOf(useStatistics(range));
  return <AdminStatisticsView stats={stats} range={range} onRange={setRange} />;
}
