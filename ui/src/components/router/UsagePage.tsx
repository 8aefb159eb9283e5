import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { loadOf } from '../../api/load';
import { keys, useLeaderboard, useMyUsage, useRouterRequests } from '../../api/queries';
import { PERIODS, type Leaderboard, type MyUsage, type Period, type UsageRow, type UsageTotals } from '../../api/router';
import { useLocale, useT } from '../../i18n';
import { formatCreditAmount, formatDateTime, formatDuration, formatNumber } from '../../lib/format';
import { endReasonLabel, type UsageMetric } from '../../lib/routerUsage';
import { AlertIcon } from '../Icons';
import { UsageChart } from './UsageChart';
import './router.css';

const RECENT_LIMIT = 50;
const LEADERBOARD_LIMIT = 10;

/** One's model-router usage over a period, by model and hour; the leaderboard; one's latest requests. */
export function UsagePage() {
  const t = useT();
  const queryClient = useQueryClient();
  const [period, setPeriod] = useState<Period>('week');
  const [metric, setMetric] = useState<UsageMetric>('requests');
  const usage = loadOf(useMyUsage(period));
  const board = loadOf(useLeaderboard(period, LEADERBOARD_LIMIT));
  const recent = loadOf(useRouterRequests(RECENT_LIMIT));

  return (
    <div className="page router-page" data-testid="usage-page">
      <header className="page-header">
        <div>
          <h1>{t('routerUsage.title')}</h1>
          <p className="page-subtitle">{t('routerUsage.subtitle')}</p>
        </div>
        <div className="header-actions">
          <div className="segmented" role="group" aria-label={t('routerUsage.period')}>
            {PERIODS.map((p) => (
              <button
                key={p}
                type="button"
                className={`segment${p === period ? ' active' : ''}`}
                aria-pressed={p === period}
                onClick={() => setPeriod(p)}
                data-testid={`usage-period-${p}`}
              >
                {t(`routerUsage.periods.${p}`)}
              </button>
            ))}
          </div>
          <button type="button" className="button secondary" onClick={() => void queryClient.invalidateQueries({ queryKey: keys.router.all })} data-testid="usage-refresh">
            {t('routerUsage.refresh')}
          </button>
        </div>
      </header>

      {usage.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}
      {usage.kind === 'error' && (
        <section className="panel router-section">
          <div className="load-error" role="alert" data-testid="usage-error">
            <AlertIcon size={22} />
            <div>
              <h2>{t('routerUsage.loadFailed')}</h2>
              <p>{usage.message}</p>
            </div>
          </div>
        </section>
      )}
      {usage.kind === 'ready' && (
        <>
          <Totals totals={usage.data.totals} />
          <UsageChart buckets={usage.data.buckets} since={usage.data.since} period={period} metric={metric} onMetric={setMetric} />
          <ByModel usage={usage.data} />
        </>
      )}

      <section className="panel router-section" aria-labelledby="leaderboard-title">
        <h2 id="leaderboard-title">{t('routerUsage.leaderboard')}</h2>
        {board.kind === 'error' && <p role="alert">{board.message}</p>}
        {board.kind === 'ready' && <LeaderboardTable board={board.data} />}
      </section>

      <section className="panel router-section" aria-labelledby="recent-title">
        <h2 id="recent-title">{t('routerUsage.recent')}</h2>
        {recent.kind === 'error' && <p role="alert">{recent.message}</p>}
        {recent.kind === 'ready' && <RecentRequests rows={recent.data.items} />}
      </section>
    </div>
  );
}

function Totals({ totals }: { totals: UsageTotals }) {
  const t = useT();
  const locale = useLocale();
  const stats: [string, string, string][] = [
    ['requests', t('routerUsage.requests'), formatNumber(totals.requests, locale)],
    ['errors', t('routerUsage.errors'), formatNumber(totals.errors, locale)],
    ['prompt', t('routerUsage.promptTokens'), formatNumber(totals.prompt_tokens, locale)],
    ['completion', t('routerUsage.completionTokens'), formatNumber(totals.completion_tokens, locale)],
    ['credits', t('routerUsage.credits'), formatCreditAmount(totals.credits, locale)],
  ];
  return (
    <section className="router-stats" aria-label={t('routerUsage.totals')}>
      {stats.map(([key, label, value]) => (
        <div key={key} className="router-stat">
          <span className="router-stat-label">{label}</span>
          <span className="router-stat-value" data-testid={`usage-total-${key}`}>
            {value}
          </span>
        </div>
      ))}
    </section>
  );
}

function ByModel({ usage }: { usage: MyUsage }) {
  const t = useT();
  const locale = useLocale();
  return (
    <section className="panel router-section" aria-labelledby="by-model-title">
      <h2 id="by-model-title">{t('routerUsage.byModel')}</h2>
      {usage.by_model.length === 0 ? (
        <p className="muted">{t('routerUsage.noUsage')}</p>
      ) : (
        <table className="data-table" data-testid="usage-by-model">
          <thead>
            <tr>
              <th>{t('routerUsage.colModel')}</th>
              <th className="num">{t('routerUsage.requests')}</th>
              <th className="num">{t('routerUsage.errors')}</th>
              <th className="num">{t('routerUsage.promptTokens')}</th>
              <th className="num">{t('routerUsage.completionTokens')}</th>
              <th className="num">{t('routerUsage.credits')}</th>
            </tr>
          </thead>
          <tbody>
            {usage.by_model.map(({ model, totals }) => (
              <tr key={model}>
                <td>
                  <code>{model}</code>
                </td>
                <td className="num">{formatNumber(totals.requests, locale)}</td>
                <td className="num">{formatNumber(totals.errors, locale)}</td>
                <td className="num">{formatNumber(totals.prompt_tokens, locale)}</td>
                <td className="num">{formatNumber(totals.completion_tokens, locale)}</td>
                <td className="num">{formatCreditAmount(totals.credits, locale)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function LeaderboardTable({ board }: { board: Leaderboard }) {
  const t = useT();
  const locale = useLocale();
  if (board.items.length === 0) return <p className="muted">{t('routerUsage.noLeaderboard')}</p>;
  return (
    <table className="data-table" data-testid="usage-leaderboard">
      <thead>
        <tr>
          <th className="num">{t('routerUsage.colRank')}</th>
          <th>{t('routerUsage.colModel')}</th>
          <th>{t('routerUsage.colCategory')}</th>
          <th className="num">{t('routerUsage.requests')}</th>
          <th className="num">{t('routerUsage.colUsers')}</th>
          <th className="num">{t('routerUsage.colTokens')}</th>
          <th className="num">{t('routerUsage.credits')}</th>
        </tr>
      </thead>
      <tbody>
        {board.items.map((r) => (
          <tr key={r.model}>
            <td className="num">{formatNumber(r.rank, locale)}</td>
            <td>
              <code>{r.model}</code>
            </td>
            <td>{r.category}</td>
            <td className="num">{formatNumber(r.requests, locale)}</td>
            <td className="num">{formatNumber(r.users, locale)}</td>
            <td className="num">{formatNumber(r.prompt_tokens + r.completion_tokens, locale)}</td>
            <td className="num">{formatCreditAmount(r.credits, locale)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RecentRequests({ rows }: { rows: UsageRow[] }) {
  const t = useT();
  const locale = useLocale();
  if (rows.length === 0) return <p className="muted">{t('routerUsage.noRequests')}</p>;
  const ms = (n: number | null) => (n === null ? '–' : formatDuration(n / 1000, locale));
  return (
    <table className="data-table" data-testid="usage-requests">
      <thead>
        <tr>
          <th>{t('routerUsage.colWhen')}</th>
          <th>{t('routerUsage.colModel')}</th>
          <th>{t('routerUsage.colEnded')}</th>
          <th className="num">{t('routerUsage.colTokensInOut')}</th>
          <th className="num">{t('routerUsage.credits')}</th>
          <th className="num">{t('routerUsage.colFirstToken')}</th>
          <th className="num">{t('routerUsage.colLatency')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.id} data-testid="usage-request-row" data-end={r.end_reason ?? 'open'}>
            <td>{formatDateTime(r.created_at, locale)}</td>
            <td>
              <code>{r.public_model}</code>
            </td>
            <td title={r.error ?? undefined}>{endReasonLabel(r.end_reason)}</td>
            <td className="num" title={r.usage_estimated ? t('routerUsage.estimated') : undefined}>
              {r.usage_estimated && '≈ '}
              {t('routerUsage.tokensInOut', { prompt: formatNumber(r.prompt_tokens ?? 0, locale), completion: formatNumber(r.completion_tokens ?? 0, locale) })}
            </td>
            <td className="num">{formatCreditAmount(r.credits, locale)}</td>
            <td className="num">{ms(r.first_token_ms)}</td>
            <td className="num">{ms(r.latency_ms)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
