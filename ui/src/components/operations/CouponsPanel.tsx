import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { loadOf, type Load } from '../../api/load';
import { claimAndRefresh, useCoupons, useMyCoupons } from '../../api/operations';
import { keys } from '../../api/queries';
import { COUPON_CLAIM_STATUSES, type Coupon, type CouponClaimStatus, type MyCoupon, type Page } from '../../api/types';
import { useLocale, useT } from '../../i18n';
import { formatDateTime, formatNumber } from '../../lib/format';
import { couponMinimum, describeCoupon } from '../../lib/operations';
import { errorMessage } from '../../transport';
import { Pagination } from '../Pagination';
import { useToasts } from '../Toasts';
import './operations.css';

export interface CouponsViewProps {
  mine: Load<MyCoupon[]>;
  mineStatus: CouponClaimStatus;
  onMineStatus: (status: CouponClaimStatus) => void;
  available: Load<Page<Coupon>>;
  /** The coupon being claimed (its id). */
  claiming: string | null;
  /** The last refused claim, shown under the list. */
  claimError: { couponId: string; message: string } | null;
  onClaim: (coupon: Coupon) => void;
  onPage: (page: number) => void;
  onRetry: () => void;
}

/** One's coupon wallet (by claim status) and the coupons one can claim now. */
export function CouponsView(p: CouponsViewProps) {
  const t = useT();
  const locale = useLocale();
  return (
    <section className="panel credit-section ops-section" aria-labelledby="coupons-title" data-testid="coupons-panel">
      <h2 id="coupons-title">{t('operations.coupons.title')}</h2>
      <p className="muted pay-form-note">{t('operations.coupons.subtitle')}</p>

      <div className="credit-chart-head">
        <h3>{t('operations.coupons.mine')}</h3>
        <div className="segmented" role="group" aria-label={t('operations.coupons.mineShown')}>
          {COUPON_CLAIM_STATUSES.map((s) => (
            <button
              key={s}
              type="button"
              className={`segment${s === p.mineStatus ? ' active' : ''}`}
              aria-pressed={s === p.mineStatus}
              data-testid={`my-coupons-filter-${s}`}
              onClick={() => p.onMineStatus(s)}
            >
              {t(`operations.claimStatus.${s}`)}
            </button>
          ))}
        </div>
      </div>
      {p.mine.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}
      {p.mine.kind === 'error' && (
        <p className="form-error" role="alert" data-testid="my-coupons-error">
          {p.mine.message}
        </p>
      )}
      {p.mine.kind === 'ready' && p.mine.data.length === 0 && (
        <p className="muted" data-testid="my-coupons-none">
          {t(`operations.coupons.mineNone.${p.mineStatus}`)}
        </p>
      )}
      {p.mine.kind === 'ready' && p.mine.data.length > 0 && (
        <ul className="ops-coupons" data-testid="my-coupons">
          {p.mine.data.map((c) => {
            const min = couponMinimum(c);
            return (
              <li key={c.id} className={`ops-coupon ops-coupon-${c.claim_status}`} data-testid={`my-coupon-${c.code}`} data-status={c.claim_status}>
                <span className="ops-coupon-value" data-testid={`my-coupon-value-${c.code}`}>
                  {describeCoupon(c)}
                </span>
                <span className="ops-coupon-name">{c.name}</span>
                <code>{c.code}</code>
                {min && <span className="muted">{min}</span>}
                <span className="muted">{t('operations.coupons.colValid')}: {formatDateTime(c.valid_until, locale)}</span>
                <span className={`badge ops-claim-${c.claim_status}`}>{t(`operations.claimStatus.${c.claim_status}`)}</span>
              </li>
            );
          })}
        </ul>
      )}

      <h3>{t('operations.coupons.available')}</h3>
      {p.available.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}
      {p.available.kind === 'error' && (
        <div className="load-error" role="alert" data-testid="coupons-error">
          <div>
            <h2>{t('operations.coupons.loadFailed')}</h2>
            <p>{p.available.message}</p>
          </div>
          <button type="button" className="button secondary" onClick={p.onRetry}>
            {t('common.tryAgain')}
          </button>
        </div>
      )}
      {p.available.kind === 'ready' && p.available.data.items.length === 0 && (
        <p className="muted" data-testid="coupons-none">
          {t('operations.coupons.availableNone')}
        </p>
      )}
      {p.available.kind === 'ready' && p.available.data.items.length > 0 && (
        <>
          <table className="credit-table" data-testid="available-coupons">
            <thead>
              <tr>
                <th>{t('operations.coupons.colName')}</th>
                <th>{t('operations.coupons.colValue')}</th>
                <th>{t('operations.coupons.colCode')}</th>
                <th>{t('operations.coupons.colValid')}</th>
                <th className="num">{t('operations.coupons.colLeft')}</th>
                <th>
                  <span className="sr-only">{t('operations.coupons.colActions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {p.available.data.items.map((c) => {
                const min = couponMinimum(c);
                return (
                  <tr key={c.id} data-testid="coupon-row" data-code={c.code}>
                    <td className="cell-strong">{c.name}</td>
                    <td>
                      <span data-testid={`coupon-value-${c.code}`}>{describeCoupon(c)}</span>
                      {min && <span className="muted ops-note">{min}</span>}
                    </td>
                    <td>
                      <code>{c.code}</code>
                    </td>
                    <td>{formatDateTime(c.valid_until, locale)}</td>
                    <td className="num">
                      {c.max_usage > 0
                        ? t('operations.coupons.left', { left: formatNumber(Math.max(0, c.max_usage - c.used_count)), max: formatNumber(c.max_usage) })
                        : ''}
                    </td>
                    <td>
                      <button
                        type="button"
                        className="button secondary button-sm"
                        disabled={p.claiming !== null}
                        onClick={() => p.onClaim(c)}
                        data-testid={`coupon-claim-${c.code}`}
                      >
                        {p.claiming === c.id ? t('operations.coupons.claiming') : t('operations.coupons.claim')}
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <Pagination page={p.available.data.page} totalPages={p.available.data.totalPages} total={p.available.data.total} limit={p.available.data.limit} onPage={p.onPage} />
        </>
      )}
      {p.claimError && (
        <p className="form-error" role="alert" data-testid="coupon-claim-error" data-coupon={p.claimError.couponId}>
          {p.claimError.message}
        </p>
      )}
    </section>
  );
}

const PAGE_SIZE = 10;

/** The Credits page's coupons: the wallet and the coupons to claim (accounts mode). */
export function CouponsPanel() {
  const t = useT();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [mineStatus, setMineStatus] = useState<CouponClaimStatus>('unused');
  const [page, setPage] = useState(1);
  const mine = loadOf(useMyCoupons(mineStatus));
  const available = loadOf(useCoupons({ status: 'active', page, limit: PAGE_SIZE }));
  const [claiming, setClaiming] = useState<string | null>(null);
  const [claimError, setClaimError] = useState<CouponsViewProps['claimError']>(null);

  async function claim(c: Coupon) {
    setClaiming(c.id);
    setClaimError(null);
    try {
      await claimAndRefresh(queryClient, c.id);
      toasts.show({ kind: 'success', message: t('operations.coupons.claimed', { name: c.name }) });
    } catch (e) {
      // 409: used up, or claimed already; the server's text says which.
      setClaimError({ couponId: c.id, message: errorMessage(e) });
    } finally {
      setClaiming(null);
    }
  }

  return (
    <CouponsView
      mine={mine}
      mineStatus={mineStatus}
      onMineStatus={setMineStatus}
      available={available}
      claiming={claiming}
      claimError={claimError}
      onClaim={(c) => void claim(c)}
      onPage={setPage}
      onRetry={() => void queryClient.invalidateQueries({ queryKey: keys.operations.all })}
    />
  );
}
