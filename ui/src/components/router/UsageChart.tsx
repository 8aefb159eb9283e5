import type { Period, UsageBucket } from '../../api/router';
import { useLocale, useT } from '../../i18n';
import { formatDateTime, formatNumber } from '../../lib/format';
import { usageChart, USAGE_METRICS, type UsageMetric } from '../../lib/routerUsage';

/** Bars of the period's usage (SVG, one bar per hour, 6 hours, day or week: `BAR_HOURS`). */
export function UsageChart({
  buckets,
  since,
  period,
  metric,
  onMetric,
}: {
  buckets: UsageBucket[];
  since: string;
  period: Period;
  metric: UsageMetric;
  onMetric: (m: UsageMetric) => void;
}) {
  const t = useT();
  const locale = useLocale();
  const now = new Date();
  const chart = usageChart(buckets, since, now, period, metric);
  const metricLabel = t(`routerUsage.metric.${metric}`);
  return (
    <section className="panel router-section" aria-labelledby="usage-chart-title">
      <div className="router-section-head">
        <h2 id="usage-chart-title">{t('routerUsage.chart')}</h2>
        <div className="segmented" role="group" aria-label={t('routerUsage.metricShown')}>
          {USAGE_METRICS.map((m) => (
            <button key={m} type="button" className={`segment${m === metric ? ' active' : ''}`} aria-pressed={m === metric} onClick={() => onMetric(m)}>
              {t(`routerUsage.metric.${m}`)}
            </button>
          ))}
        </div>
      </div>
      <div className="usage-chart">
        <div className="usage-axis" aria-hidden="true">
          <span>{formatNumber(chart.max, locale)}</span>
          <span>{formatNumber(chart.max / 2, locale)}</span>
          <span>{formatNumber(0, locale)}</span>
        </div>
        <svg
          className="usage-bars"
          viewBox={`0 0 ${chart.bars.length * 10} 100`}
          preserveAspectRatio="none"
          role="img"
          aria-label={t('routerUsage.chartLabel', { metric: metricLabel, peak: formatNumber(chart.max, locale) })}
          data-testid="usage-chart"
          data-bars={chart.bars.length}
        >
          {chart.bars.map((b, i) => (
            <rect key={b.start} className="usage-bar" x={i * 10 + 1} width={8} y={100 - b.height * 100} height={b.height * 100}>
              <title>
                {t('routerUsage.barTitle', {
                  time: formatDateTime(b.start, locale),
                  requests: formatNumber(b.requests, locale),
                  tokens: formatNumber(b.tokens, locale),
                  credits: formatNumber(b.credits, locale),
                })}
              </title>
            </rect>
          ))}
        </svg>
      </div>
      <div className="usage-range muted">
        <span>{formatDateTime(chart.bars[0]?.start ?? since, locale)}</span>
        <span>{formatDateTime(now.toISOString(), locale)}</span>
      </div>
    </section>
  );
}
