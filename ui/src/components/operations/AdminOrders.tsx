import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { loadOf, type Load } from '../../api/load';
import { useAdminOrders, type AdminOrder } from '../../api/operations';
import { refreshAfterPayment, settleSandboxOrder } from '../../api/payments';
import { keys } from '../../api/queries';
import { GATEWAYS, ORDER_STATUSES, type Gateway, type OrderStatus, type Page } from '../../api/types';
import { useLocale, useT } from '../../i18n';
import { formatDateTime } from '../../lib/format';
import { formatMoney } from '../../lib/payments';
import { errorMessage } from '../../transport';
import { Pagination } from '../Pagination';
import { OrderItem } from '../payments/OrderItem';
import { OrderStatusBadge } from '../payments/OrderStatusBadge';
import { useToasts } from '../Toasts';

export interface AdminOrdersViewProps {
  orders: Load<Page<AdminOrder>>;
  status: OrderStatus | '';
  gateway: Gateway | '';
  onStatus: (s: OrderStatus | '') => void;
  onGateway: (g: Gateway | '') => void;
  /** The order being marked paid (its id). */
  marking: string | null;
  markError: { orderId: string; message: string } | null;
  onMarkPaid: (order: AdminOrder) => void;
  onPage: (page: number) => void;
}

/** Every order of the server, filtered by status and gateway; a pending sandbox order can be marked paid. */
export function AdminOrdersView(p: AdminOrdersViewProps) {
  const t = useT();
  const locale = useLocale();
  return (
    <section className="panel credit-section" aria-labelledby="admin-orders-title" data-testid="admin-orders">
      <h2 id="admin-orders-title">{t('operations.adminOrders.title')}</h2>
      <div className="toolbar">
        <label className="inline-field">
          <span>{t('operations.adminOrders.status')}</span>
          <select className="input input-sm select" value={p.status} onChange={(e) => p.onStatus(e.target.value as OrderStatus | '')} data-testid="admin-orders-status">
            <option value="">{t('operations.adminOrders.all')}</option>
            {ORDER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`payments.status.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          <span>{t('operations.adminOrders.gateway')}</span>
          <select className="input input-sm select" value={p.gateway} onChange={(e) => p.onGateway(e.target.value as Gateway | '')} data-testid="admin-orders-gateway">
            <option value="">{t('operations.adminOrders.all')}</option>
            {GATEWAYS.map((g) => (
              <option key={g} value={g}>
                {t(`payments.gatewayName.${g}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {p.orders.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}
      {p.orders.kind === 'error' && (
        <p className="form-error" role="alert" data-testid="admin-orders-error">
          {t('operations.adminOrders.loadFailed')}: {p.orders.message}
        </p>
      )}
      {p.orders.kind === 'ready' && p.orders.data.items.length === 0 && (
        <p className="muted" data-testid="admin-orders-none">
          {t('operations.adminOrders.none')}
        </p>
      )}
      {p.orders.kind === 'ready' && p.orders.data.items.length > 0 && (
        <>
          <table className="credit-table" data-testid="admin-orders-table">
            <thead>
              <tr>
                <th>{t('operations.adminOrders.colCreated')}</th>
                <th>{t('operations.adminOrders.colUser')}</th>
                <th>{t('operations.adminOrders.colItem')}</th>
                <th className="num">{t('operations.adminOrders.colAmount')}</th>
                <th>{t('operations.adminOrders.colGateway')}</th>
                <th>{t('operations.adminOrders.colStatus')}</th>
                <th>
                  <span className="sr-only">{t('operations.adminOrders.colActions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {p.orders.data.items.map((o) => (
                <tr key={o.id} data-testid="admin-order-row" data-order={o.id} data-status={o.status} data-gateway={o.gateway}>
                  <td>{formatDateTime(o.created_at, locale)}</td>
                  <td className="cell-strong">{o.username}</td>
                  <td>
                    <OrderItem order={o} />
                  </td>
                  <td className="num">{formatMoney(o.amount_cents, o.currency, locale)}</td>
                  <td>{t(`payments.gatewayName.${o.gateway}`)}</td>
                  <td>
                    <OrderStatusBadge status={o.status} />
                  </td>
                  <td>
                    {o.gateway === 'sandbox' && o.status === 'pending' && (
                      <button
                        type="button"
                        className="button secondary button-sm"
                        disabled={p.marking !== null}
                        onClick={() => p.onMarkPaid(o)}
                        data-testid={`admin-order-mark-paid-${o.id}`}
                      >
                        {p.marking === o.id ? t('operations.adminOrders.marking') : t('operations.adminOrders.markPaid')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination page={p.orders.data.page} totalPages={p.orders.data.totalPages} total={p.orders.data.total} limit={p.orders.data.limit} onPage={p.onPage} />
        </>
      )}
      {p.markError && (
        <p className="form-error" role="alert" data-testid="admin-order-mark-error" data-order={p.markError.orderId}>
          {p.markError.message}
        </p>
      )}
    </section>
  );
}

const PAGE_SIZE = 20;

/** `#/admin/orders`. */
export function AdminOrders() {
  const t = useT();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<OrderStatus | ''>('');
  const [gateway, setGateway] = useState<Gateway | ''>('');
  const [page, setPage] = useState(1);
  const orders = loadOf(useAdminOrders({ status: status || undefined, gateway: gateway || undefined, page, limit: PAGE_SIZE }));
  const [marking, setMarking] = useState<string | null>(null);
  const [markError, setMarkError] = useState<AdminOrdersViewProps['markError']>(null);

  async function markPaid(o: AdminOrder) {
    setMarking(o.id);
    setMarkError(null);
    try {
      await settleSandboxOrder(o.id, 'success');
      toasts.show({ kind: 'success', message: t('operations.adminOrders.marked') });
      await Promise.all([queryClient.invalidateQueries({ queryKey: keys.operations.adminOrdersAll }), refreshAfterPayment(queryClient)]);
    } catch (e) {
      setMarkError({ orderId: o.id, message: errorMessage(e) });
    } finally {
      setMarking(null);
    }
  }

  return (
    <AdminOrdersView
      orders={orders}
      status={status}
      gateway={gateway}
      onStatus={(s) => {
        setStatus(s);
        setPage(1);
      }}
      onGateway={(g) => {
        setGateway(g);
        setPage(1);
      }}
      marking={marking}
      markError={markError}
      onMarkPaid={(o) => void markPaid(o)}
      onPage={setPage}
    />
  );
}
