import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { loadOf } from '../../api/load';
import { useOrders } from '../../api/payments';
import { keys } from '../../api/queries';
import type { Order, OrderKind, Page } from '../../api/types';
import { useLocale, useT } from '../../i18n';
import { formatDateTime } from '../../lib/format';
import { formatMoney, type OrderSummary } from '../../lib/payments';
import { Pagination } from '../Pagination';
import { OrderItem } from './OrderItem';
import { OrderStatusBadge } from './OrderStatusBadge';

const PAGE_SIZE = 10;
const KINDS: readonly OrderKind[] = ['recharge', 'membership'];

/** The workspace's orders, credits and memberships on two tabs, newest first, a page at a time. */
export function OrderHistory({ onOpen }: { onOpen: (order: OrderSummary) => void }) {
  const t = useT();
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<OrderKind>('recharge');
  const [page, setPage] = useState(1);
  const orders = loadOf(useOrders(kind, { page, limit: PAGE_SIZE }));
  return (
    <section className="panel credit-section" aria-labelledby="orders-title" data-testid="order-history">
      <div className="credit-chart-head">
        <h2 id="orders-title">{t('payments.history.title')}</h2>
        <div className="segmented" role="group" aria-label={t('payments.history.kinds')}>
          {KINDS.map((k) => (
            <button
              key={k}
              type="button"
              className={`segment${k === kind ? ' active' : ''}`}
              aria-pressed={k === kind}
              data-testid={`orders-${k}`}
              onClick={() => {
                setKind(k);
                setPage(1);
              }}
            >
              {t(`payments.history.kind.${k}`)}
            </button>
          ))}
        </div>
      </div>
      {orders.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}
      {orders.kind === 'error' && (
        <div className="load-error" role="alert" data-testid="orders-error">
          <p>{orders.message}</p>
          <button type="button" className="button secondary" onClick={() => void queryClient.invalidateQueries({ queryKey: keys.payments.orders })}>
            {t('common.tryAgain')}
          </button>
        </div>
      )}
      {orders.kind === 'ready' && <OrderTable orders={orders.data} onOpen={onOpen} onPage={setPage} />}
    </section>
  );
}

export function OrderTable({ orders, onOpen, onPage }: { orders: Page<Order>; onOpen: (order: OrderSummary) => void; onPage: (page: number) => void }) {
  const t = useT();
  const locale = useLocale();
  if (orders.items.length === 0) {
    return (
      <p className="muted" data-testid="no-orders">
        {t('payments.history.none')}
      </p>
    );
  }
  return (
    <>
      <table className="credit-table" data-testid="orders">
        <thead>
          <tr>
            <th>{t('payments.history.colCreated')}</th>
            <th>{t('payments.history.colItem')}</th>
            <th className="num">{t('payments.history.colAmount')}</th>
            <th>{t('payments.history.colGateway')}</th>
            <th>{t('payments.history.colStatus')}</th>
            <th>
              <span className="sr-only">{t('payments.history.colActions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {orders.items.map((o) => (
            <tr key={o.id} data-testid="order-row" data-order={o.id} data-kind={o.kind} data-status={o.status}>
              <td>{formatDateTime(o.created_at, locale)}</td>
              <td>
                <OrderItem order={o} />
              </td>
              <td className="num">{formatMoney(o.amount_cents, o.currency, locale)}</td>
              <td>{t(`payments.gatewayName.${o.gateway}`)}</td>
              <td title={o.paid_at ? t('payments.history.paidAt', { time: formatDateTime(o.paid_at, locale) }) : undefined}>
                <OrderStatusBadge status={o.status} />
              </td>
              <td>
                {o.status === 'pending' && (
                  <button type="button" className="button secondary button-sm" onClick={() => onOpen(o)} data-testid="order-continue">
                    {t('payments.history.continue')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pagination page={orders.page} totalPages={orders.totalPages} total={orders.total} limit={orders.limit} onPage={onPage} />
    </>
  );
}
