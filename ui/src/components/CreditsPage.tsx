import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { loadOf } from '../api/load';
import { keys, useDashboard, useHolds, useTransactions } from '../api/queries';
import {
  setBudget,
  type Dashboard,
  type TransactionQuery,
} from '../api/credits';
import {
  formatCredits,
  parseBudget,
  signedCredits,
  TRANSACTION_TYPES,
  typeLabel,
  usageChart,
} from '../lib/credits';
import { useLocale, useT } from '../i18n';
import { formatDateTime, formatNumber } from '../lib/format';
import { errorMessage } from '../transport';
import type { OrderSummary } from '../lib/payments';
import { useAuth } from './account/AuthContext';
import { AlertIcon } from './Icons';
import { ActivitiesPanel } from './operations/ActivitiesPanel';
import { CouponsPanel } from './operations/CouponsPanel';
import { ReferralPanel } from './operations/ReferralPanel';
import { BuyPanel } from './payments/BuyPanel';
import { OrderDialog } from './payments/OrderDialog';
import { OrderHistory } from './payments/OrderHistory';
import { RemoteCredits } from './payments/RemoteCreditsPanel';
import { RemoteOrderDialog } from './payments/RemoteOrderDialog';
import { useToasts } from './Toasts';
import './credits.css';

const DAY_CHOICES = [7, 30, 90] as const;
const PAGE_SIZE = 20;

export function CreditsPage() {
  const t = useT();
  const locale = useLocale();
  const toasts = useToasts();
  const [days, setDays] = useState<number>(30);
  const [filter, setFilter] = useState<TransactionQuery>({ page: 1, limit: PAGE_SIZE });
  const queryClient = useQueryClient();
  const dash = loadOf(useDashboard(days));
  const holds = loadOf(useHolds('pending'));
  const txs = loadOf(useTransactions(filter));
  const [budget, setBudgetText] = useState('');
  const [saving, setSaving] = useState(false);
  // Accounts mode buys credits and memberships; the order being paid shows in a dialog.
  const auth = useAuth();
  const [order, setOrder] = useState<OrderSummary | null>(null);
  // The desktop buys on the team server it is signed in to; that order shows in its own dialog.
  const [remoteOrder, setRemoteOrder] = useState<OrderSummary | null>(null);

  const reloadAll = () => {
    void queryClient.invalidateQueries({ queryKey: keys.credits.all });
    void queryClient.invalidateQueries({ queryKey: keys.payments.all });
    void queryClient.invalidateQueries({ queryKey: keys.operations.all });
  };

  async function saveBudget() {
    const parsed = parseBudget(budget);
    if (!parsed.ok) {
      toasts.show({ kind: 'error', message: parsed.error });
      return;
    }
    setSaving(true);
    try {
      const b = await setBudget(parsed.value);
      toasts.show({ kind: 'success', message: t('creditsPage.budgetSet', { credits: formatCredits(b.available) }) });
      setBudgetText('');
      reloadAll();
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
    } finally {
      setSaving(false);
    }
  }

  const setQuery = (patch: Partial<TransactionQuery>) => setFilter((f) => ({ ...f, page: 1, ...patch }));

  return (
    <div className="page credits" data-testid="credits-page">
      <header className="page-header">
        <div>
          <h1>{t('creditsPage.title')}</h1>
          <p className="page-subtitle">
            {dash.kind === 'ready' && dash.data.budget_mode
              ? t('creditsPage.subtitleBudget')
              : t('creditsPage.subtitle')}
          </p>
        </div>
        <div className="header-actions">
          <button type="button" className="button secondary" onClick={reloadAll} data-testid="credits-refresh">
            {t('creditsPage.refresh')}
          </button>
        </div>
      </header>

      {dash.kind === 'error' && (
        <section className="panel">
          <div className="load-error" role="alert" data-testid="credits-error">
            <AlertIcon size={22} />
            <div>
              <h2>{t('creditsPage.loadFailed')}</h2>
              <p>{dash.message}</p>
            </div>
          </div>
        </section>
      )}

      {dash.kind === 'ready' && (
        <>
          <section className="credit-stats" aria-label={t('creditsPage.balance')}>
            <Stat label={t('creditsPage.available')} value={dash.data.credits} testId="credits-available" />
            <Stat label={t('creditsPage.held')} value={dash.data.held} testId="credits-held" note={t('creditsPage.pending', { count: dash.data.pending_holds })} />
            <Stat label={t('creditsPage.used')} value={dash.data.total_used} testId="credits-used" />
            <Stat label={t('creditsPage.average')} value={dash.data.cost_per_summary} testId="credits-avg" />
          </section>
          {dash.data.is_member && <p className="credit-note">{t('creditsPage.member')}</p>}
          {dash.data.budget_mode && (
            <form
              className="toolbar credit-budget"
              onSubmit={(e) => {
                e.preventDefault();
                void saveBudget();
              }}
            >
              <label className="inline-field">
                <span>{t('creditsPage.setBudget')}</span>
                <input
                  className="input input-sm"
                  inputMode="numeric"
                  placeholder={formatNumber(dash.data.credits, locale)}
                  value={budget}
                  onChange={(e) => setBudgetText(e.target.value)}
                  data-testid="credits-budget"
                  aria-label={t('creditsPage.budgetLabel')}
                />
              </label>
              <button type="submit" className="button primary" disabled={saving || budget.trim() === ''}>
                {saving ? t('common.saving') : t('common.save')}
              </button>
            </form>
          )}
        </>
      )}
      {dash.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}

      <RemoteCredits onOrder={setRemoteOrder} />
      {auth && <BuyPanel isAdmin={auth.user.is_admin} onOrder={setOrder} />}
      {/* Accounts mode: activities to join, the coupon wallet, and one's invite link. */}
      {auth && <ActivitiesPanel />}
      {auth && <CouponsPanel />}
      {auth && <ReferralPanel />}
      {dash.kind === 'ready' && <UsageChart dashboard={dash.data} days={days} onDays={setDays} />}

      <section className="panel credit-section" aria-labelledby="holds-title">
        <h2 id="holds-title">{t('creditsPage.holds')}</h2>
        {holds.kind === 'ready' && holds.data.items.length === 0 && <p className="muted">{t('creditsPage.noHolds')}</p>}
        {holds.kind === 'ready' && holds.data.items.length > 0 && (
          <table className="credit-table" data-testid="credits-holds">
            <thead>
              <tr>
                <th>{t('creditsPage.colStarted')}</th>
                <th>{t('creditsPage.colFor')}</th>
                <th>{t('creditsPage.colWhat')}</th>
                <th className="num">{t('creditsPage.colHeld')}</th>
                <th>{t('creditsPage.colExpires')}</th>
              </tr>
            </thead>
            <tbody>
              {holds.data.items.map((h) => (
                <tr key={h.id}>
                  <td>{formatDateTime(h.created_at, locale)}</td>
                  <td>{typeLabel(h.purpose)}</td>
                  <td>{h.description || h.work_id}</td>
                  <td className="num">{formatCredits(h.amount)}</td>
                  <td>{formatDateTime(h.expires_at, locale)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {holds.kind === 'error' && <p role="alert">{holds.message}</p>}
      </section>

      <section className="panel credit-section" aria-labelledby="tx-title">
        <h2 id="tx-title">{t('creditsPage.transactions')}</h2>
        <div className="toolbar">
          <label className="inline-field">
            <span>{t('creditsPage.type')}</span>
            <select
              className="input input-sm select"
              value={filter.type ?? ''}
              onChange={(e) => setQuery({ type: e.target.value || undefined })}
              data-testid="credits-type"
            >
              <option value="">{t('creditsPage.allTypes')}</option>
              {TRANSACTION_TYPES.map((type) => (
                <option key={type} value={type}>
                  {typeLabel(type)}
                </option>
              ))}
            </select>
          </label>
          <label className="inline-field">
            <span>{t('creditsPage.from')}</span>
            <input type="date" className="input input-sm" value={filter.start_date ?? ''} onChange={(e) => setQuery({ start_date: e.target.value || undefined })} />
          </label>
          <label className="inline-field">
            <span>{t('creditsPage.to')}</span>
            <input type="date" className="input input-sm" value={filter.end_date ?? ''} onChange={(e) => setQuery({ end_date: e.target.value || undefined })} />
          </label>
        </div>
        {txs.kind === 'error' && <p role="alert">{txs.message}</p>}
        {txs.kind === 'ready' && txs.data.items.length === 0 && <p className="muted">{t('creditsPage.noTransactions')}</p>}
        {txs.kind === 'ready' && txs.data.items.length > 0 && (
          <>
            <table className="credit-table" data-testid="credits-transactions">
              <thead>
                <tr>
                  <th>{t('creditsPage.colWhen')}</th>
                  <th>{t('creditsPage.type')}</th>
                  <th>{t('creditsPage.colDescription')}</th>
                  <th className="num">{t('creditsPage.colChange')}</th>
                  <th className="num">{t('creditsPage.colHeld')}</th>
                  <th className="num">{t('creditsPage.colBalance')}</th>
                </tr>
              </thead>
              <tbody>
                {txs.data.items.map((tx) => (
                  <tr key={tx.id}>
                    <td>{formatDateTime(tx.created_at, locale)}</td>
                    <td>{typeLabel(tx.type)}</td>
                    <td>{tx.description}</td>
                    <td className={`num ${tx.amount < 0 ? 'neg' : tx.amount > 0 ? 'pos' : ''}`}>{signedCredits(tx.amount)}</td>
                    <td className="num">{tx.held_change === 0 ? '' : signedCredits(tx.held_change)}</td>
                    <td className="num">{formatCredits(tx.balance_after)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div className="toolbar">
              <button
                type="button"
                className="button secondary"
                disabled={(filter.page ?? 1) <= 1}
                onClick={() => setFilter((f) => ({ ...f, page: (f.page ?? 1) - 1 }))}
              >
                {t('creditsPage.newer')}
              </button>
              <span className="muted">
                {t('creditsPage.pageOf', {
                  page: formatNumber(txs.data.page, locale),
                  pages: formatNumber(Math.max(1, txs.data.totalPages), locale),
                  count: txs.data.total,
                  total: formatNumber(txs.data.total, locale),
                })}
              </span>
              <button
                type="button"
                className="button secondary"
                disabled={txs.data.page >= txs.data.totalPages}
                onClick={() => setFilter((f) => ({ ...f, page: (f.page ?? 1) + 1 }))}
              >
                {t('creditsPage.older')}
              </button>
            </div>
          </>
        )}
      </section>

      {auth && <OrderHistory onOpen={setOrder} />}
      {order && <OrderDialog key={order.id} initial={order} onClose={() => setOrder(null)} />}
      {remoteOrder && <RemoteOrderDialog key={remoteOrder.id} initial={remoteOrder} onClose={() => setRemoteOrder(null)} />}
    </div>
  );
}

function Stat({ label, value, testId, note }: { label: string; value: number; testId: string; note?: string }) {
  return (
    <div className="credit-stat">
      <span className="credit-stat-label">{label}</span>
      <span className="credit-stat-value" data-testid={testId}>
        {formatCredits(value)}
      </span>
      {note && <span className="muted">{note}</span>}
    </div>
  );
}

function UsageChart({ dashboard, days, onDays }: { dashboard: Dashboard; days: number; onDays: (d: number) => void }) {
  const t = useT();
  useLocale();
  const chart = usageChart(dashboard.usage_history);
  return (
    <section className="panel credit-section" aria-labelledby="usage-title">
      <div className="credit-chart-head">
        <h2 id="usage-title">{t('creditsPage.usage')}</h2>
        <span className="muted">{t('creditsPage.usageTotal', { credits: formatCredits(chart.total), count: days })}</span>
        <div className="segmented" role="group" aria-label={t('creditsPage.daysShown')}>
          {DAY_CHOICES.map((d) => (
            <button key={d} type="button" className={`segment${d === days ? ' active' : ''}`} onClick={() => onDays(d)}>
              {t('creditsPage.days', { count: d })}
            </button>
          ))}
        </div>
      </div>
      <div className="credit-chart" role="img" aria-label={t('creditsPage.chartLabel', { peak: formatCredits(chart.max) })} data-testid="credits-chart">
        <div className="credit-axis" aria-hidden="true">
          {[...chart.ticks].reverse().map((tick) => (
            <span key={tick}>{formatCredits(tick)}</span>
          ))}
        </div>
        <div className="credit-bars">
          {chart.bars.map((b) => (
            <div key={b.date} className="credit-bar" title={b.label}>
              <div className="credit-bar-fill" style={{ height: `${Math.round(b.height * 100)}%` }} />
            </div>
          ))}
        </div>
      </div>
    </section>
  );
}
