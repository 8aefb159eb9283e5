import { useCallback, useEffect, useState } from 'react';
import {
  getDashboard,
  listHolds,
  listTransactions,
  setBudget,
  type Dashboard,
  type Hold,
  type Transaction,
  type TransactionQuery,
} from '../api/credits';
import type { Page } from '../api/types';
import {
  formatCredits,
  parseBudget,
  signedCredits,
  TRANSACTION_TYPES,
  typeLabel,
  usageChart,
} from '../lib/credits';
import { errorMessage } from '../transport';
import { AlertIcon } from './Icons';
import { useToasts } from './Toasts';
import './credits.css';

const DAY_CHOICES = [7, 30, 90] as const;
const PAGE_SIZE = 20;

type Load<T> = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ready'; data: T };

function useLoad<T>(fetcher: (signal: AbortSignal) => Promise<T>, deps: unknown[]): [Load<T>, () => void] {
  const [state, setState] = useState<Load<T>>({ kind: 'loading' });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const ctrl = new AbortController();
    fetcher(ctrl.signal)
      .then((data) => setState({ kind: 'ready', data }))
      .catch((e: unknown) => {
        if (e instanceof DOMException && e.name === 'AbortError') return;
        setState({ kind: 'error', message: errorMessage(e) });
      });
    return () => ctrl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return [state, useCallback(() => setTick((t) => t + 1), [])];
}

export function CreditsPage() {
  const toasts = useToasts();
  const [days, setDays] = useState<number>(30);
  const [filter, setFilter] = useState<TransactionQuery>({ page: 1, limit: PAGE_SIZE });
  const [dash, reloadDash] = useLoad<Dashboard>((s) => getDashboard(days, s), [days]);
  const [holds, reloadHolds] = useLoad<Page<Hold>>((s) => listHolds('pending', s), []);
  const [txs, reloadTxs] = useLoad<Page<Transaction>>((s) => listTransactions(filter, s), [JSON.stringify(filter)]);
  const [budget, setBudgetText] = useState('');
  const [saving, setSaving] = useState(false);

  const reloadAll = () => {
    reloadDash();
    reloadHolds();
    reloadTxs();
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
      toasts.show({ kind: 'success', message: `Budget set: ${formatCredits(b.available)} credits to spend` });
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
          <h1>Credits</h1>
          <p className="page-subtitle">
            {dash.kind === 'ready' && dash.data.budget_mode
              ? 'A budget for the providers this app calls. Offline providers are free.'
              : 'Work is charged only when it succeeds; failures, cancels and cache hits are free.'}
          </p>
        </div>
        <div className="header-actions">
          <button type="button" className="button secondary" onClick={reloadAll} data-testid="credits-refresh">
            Refresh
          </button>
        </div>
      </header>

      {dash.kind === 'error' && (
        <section className="panel">
          <div className="load-error" role="alert" data-testid="credits-error">
            <AlertIcon size={22} />
            <div>
              <h2>Couldn’t load your credits</h2>
              <p>{dash.message}</p>
            </div>
          </div>
        </section>
      )}

      {dash.kind === 'ready' && (
        <>
          <section className="credit-stats" aria-label="Balance">
            <Stat label="Available" value={dash.data.credits} testId="credits-available" />
            <Stat label="Held by running work" value={dash.data.held} testId="credits-held" note={`${dash.data.pending_holds} pending`} />
            <Stat label="Used, all time" value={dash.data.total_used} testId="credits-used" />
            <Stat label="Average per paid step" value={dash.data.cost_per_summary} testId="credits-avg" />
          </section>
          {dash.data.is_member && <p className="credit-note">Member: work is not charged while the membership lasts.</p>}
          {dash.data.budget_mode && (
            <form
              className="toolbar credit-budget"
              onSubmit={(e) => {
                e.preventDefault();
                void saveBudget();
              }}
            >
              <label className="inline-field">
                <span>Set budget</span>
                <input
                  className="input input-sm"
                  inputMode="numeric"
                  placeholder={String(dash.data.credits)}
                  value={budget}
                  onChange={(e) => setBudgetText(e.target.value)}
                  data-testid="credits-budget"
                  aria-label="Budget in credits"
                />
              </label>
              <button type="submit" className="button primary" disabled={saving || budget.trim() === ''}>
                {saving ? 'Saving…' : 'Save'}
              </button>
            </form>
          )}
          <UsageChart dashboard={dash.data} days={days} onDays={setDays} />
        </>
      )}
      {dash.kind === 'loading' && <span className="spinner" role="status" aria-label="Loading" />}

      <section className="panel credit-section" aria-labelledby="holds-title">
        <h2 id="holds-title">Pending holds</h2>
        {holds.kind === 'ready' && holds.data.items.length === 0 && <p className="muted">Nothing is holding credits right now.</p>}
        {holds.kind === 'ready' && holds.data.items.length > 0 && (
          <table className="credit-table" data-testid="credits-holds">
            <thead>
              <tr>
                <th>Started</th>
                <th>For</th>
                <th>What</th>
                <th className="num">Held</th>
                <th>Expires</th>
              </tr>
            </thead>
            <tbody>
              {holds.data.items.map((h) => (
                <tr key={h.id}>
                  <td>{h.created_at.slice(0, 19).replace('T', ' ')}</td>
                  <td>{typeLabel(h.purpose)}</td>
                  <td>{h.description || h.work_id}</td>
                  <td className="num">{formatCredits(h.amount)}</td>
                  <td>{h.expires_at.slice(0, 16).replace('T', ' ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {holds.kind === 'error' && <p role="alert">{holds.message}</p>}
      </section>

      <section className="panel credit-section" aria-labelledby="tx-title">
        <h2 id="tx-title">Transactions</h2>
        <div className="toolbar">
          <label className="inline-field">
            <span>Type</span>
            <select
              className="input input-sm select"
              value={filter.type ?? ''}
              onChange={(e) => setQuery({ type: e.target.value || undefined })}
              data-testid="credits-type"
            >
              <option value="">All</option>
              {TRANSACTION_TYPES.map((t) => (
                <option key={t} value={t}>
                  {typeLabel(t)}
                </option>
              ))}
            </select>
          </label>
          <label className="inline-field">
            <span>From</span>
            <input type="date" className="input input-sm" value={filter.start_date ?? ''} onChange={(e) => setQuery({ start_date: e.target.value || undefined })} />
          </label>
          <label className="inline-field">
            <span>To</span>
            <input type="date" className="input input-sm" value={filter.end_date ?? ''} onChange={(e) => setQuery({ end_date: e.target.value || undefined })} />
          </label>
        </div>
        {txs.kind === 'error' && <p role="alert">{txs.message}</p>}
        {txs.kind === 'ready' && txs.data.items.length === 0 && <p className="muted">No transactions match.</p>}
        {txs.kind === 'ready' && txs.data.items.length > 0 && (
          <>
            <table className="credit-table" data-testid="credits-transactions">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Type</th>
                  <th>Description</th>
                  <th className="num">Change</th>
                  <th className="num">Held</th>
                  <th className="num">Balance</th>
                </tr>
              </thead>
              <tbody>
                {txs.data.items.map((t) => (
                  <tr key={t.id}>
                    <td>{t.created_at.slice(0, 19).replace('T', ' ')}</td>
                    <td>{typeLabel(t.type)}</td>
                    <td>{t.description}</td>
                    <td className={`num ${t.amount < 0 ? 'neg' : t.amount > 0 ? 'pos' : ''}`}>{signedCredits(t.amount)}</td>
                    <td className="num">{t.held_change === 0 ? '' : signedCredits(t.held_change)}</td>
                    <td className="num">{formatCredits(t.balance_after)}</td>
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
                Newer
              </button>
              <span className="muted">
                Page {txs.data.page} of {Math.max(1, txs.data.totalPages)} · {txs.data.total} transactions
              </span>
              <button
                type="button"
                className="button secondary"
                disabled={txs.data.page >= txs.data.totalPages}
                onClick={() => setFilter((f) => ({ ...f, page: (f.page ?? 1) + 1 }))}
              >
                Older
              </button>
            </div>
          </>
        )}
      </section>
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
  const chart = usageChart(dashboard.usage_history);
  return (
    <section className="panel credit-section" aria-labelledby="usage-title">
      <div className="credit-chart-head">
        <h2 id="usage-title">Usage</h2>
        <span className="muted">{formatCredits(chart.total)} credits in {days} days</span>
        <div className="segmented" role="group" aria-label="Days shown">
          {DAY_CHOICES.map((d) => (
            <button key={d} type="button" className={`segment${d === days ? ' active' : ''}`} onClick={() => onDays(d)}>
              {d} days
            </button>
          ))}
        </div>
      </div>
      <div className="credit-chart" role="img" aria-label={`Credits charged per day, peak ${formatCredits(chart.max)}`} data-testid="credits-chart">
        <div className="credit-axis" aria-hidden="true">
          {[...chart.ticks].reverse().map((t) => (
            <span key={t}>{formatCredits(t)}</span>
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
