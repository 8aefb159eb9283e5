import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, type ReactNode } from 'react';
import { refreshAfterPayment, useOrderStatus } from '../../api/payments';
import type { OrderStatus } from '../../api/types';
import { useLocale, useT } from '../../i18n';
import { formatCount, formatDateTime } from '../../lib/format';
import { formatMoney, payStep, type OrderSummary } from '../../lib/payments';
import { routeHash } from '../../lib/route';
import { errorMessage } from '../../transport';
import { Modal } from '../Modal';
import { SandboxBanner } from './GatewayPicker';
import { OrderItem } from './OrderItem';
import { OrderStatusBadge } from './OrderStatusBadge';
import { QrCode } from './QrCode';

export interface OrderStatusViewProps {
  order: OrderSummary;
  /** The order could not be read (its state is then the one it was made with). */
  readError: string | null;
  onRetryRead: () => void;
  /** Close the dialog and choose again (after an order expired or failed). */
  onRestart: () => void;
  onClose: () => void;
  /** How to pay while it waits, instead of this page's own (the desktop: the system browser). */
  instructions?: ReactNode;
  /** Said under the outcome once paid (the desktop: the team server's balance was read again). */
  paidNote?: ReactNode;
}

/** An order's summary, how to pay it while it waits, and what became of it. */
export function OrderStatusView({ order, readError, onRetryRead, onRestart, onClose, instructions, paidNote }: OrderStatusViewProps) {
  const t = useT();
  return (
    <>
      <div className="modal-body pay-order" data-testid="order-view" data-status={order.status} data-gateway={order.gateway}>
        <p className="pay-order-summary">
          <span className="cell-strong" data-testid="order-item">
            <OrderItem order={order} />
          </span>
          <span data-testid="order-amount">{formatMoney(order.amount_cents, order.currency)}</span>
          <span>{t(`payments.gatewayName.${order.gateway}`)}</span>
          <OrderStatusBadge status={order.status} />
        </p>
        {order.status === 'pending' && (instructions ?? <PayInstructions order={order} />)}
        <OrderOutcome order={order} />
        {order.status === 'paid' && paidNote}
        {readError && (
          <p className="form-error" role="alert" data-testid="order-read-error">
            {t('payments.order.readFailed', { message: readError })}{' '}
            <button type="button" className="button secondary button-sm" onClick={onRetryRead}>
              {t('common.tryAgain')}
            </button>
          </p>
        )}
      </div>
      <footer className="modal-footer">
        {order.status === 'expired' || order.status === 'failed' ? (
          <button type="button" className="button primary" onClick={onRestart} data-testid="order-restart">
            {t('payments.order.startAgain')}
          </button>
        ) : (
          <button type="button" className={`button ${order.status === 'paid' ? 'primary' : 'secondary'}`} onClick={onClose} data-testid="order-close">
            {order.status === 'paid' ? t('payments.order.done') : t('common.close')}
          </button>
        )}
      </footer>
    </>
  );
}

/** How to pay an order that waits: WeChat's QR code, the gateway's page, or the sandbox's. */
function PayInstructions({ order }: { order: OrderSummary }) {
  const t = useT();
  useLocale();
  const step = payStep(order);
  return (
    <div className="pay-instructions" data-testid="pay-instructions" data-step={step.kind}>
      {step.kind === 'qr' && (
        <>
          <QrCode text={step.code} label={t('payments.order.qrLabel')} />
          <p>{t('payments.order.scan')}</p>
        </>
      )}
      {step.kind === 'open' && (
        <>
          <a className="button primary" href={step.url} target="_blank" rel="noopener noreferrer" data-testid="open-payment-page">
            {t('payments.order.openPage')}
          </a>
          <p className="muted">{t('payments.order.openNote')}</p>
        </>
      )}
      {step.kind === 'sandbox' && (
        <>
          <SandboxBanner testId="order-sandbox-banner" />
          <a className="button primary" href={routeHash({ name: 'pay-sandbox', orderId: step.orderId })} data-testid="open-sandbox-page">
            {t('payments.order.openSandbox')}
          </a>
        </>
      )}
      {step.kind === 'none' && <p role="alert">{t('payments.order.noLink')}</p>}
      <p className="pay-waiting muted" role="status" data-testid="order-waiting">
        <span className="spinner spinner-sm" aria-hidden="true" /> {t('payments.order.waiting', { time: formatDateTime(order.expires_at) })}
      </p>
    </div>
  );
}

/** What became of a settled order, said plainly. */
function OrderOutcome({ order }: { order: OrderSummary }) {
  const t = useT();
  switch (order.status) {
    case 'paid':
      return (
        <p className="pay-outcome pay-outcome-paid" role="status" data-testid="order-paid">
          {order.kind === 'recharge' ? t('payments.order.paidCredits', { credits: formatCount('credit', order.credits) }) : t('payments.order.paidMembership')}
        </p>
      );
    case 'expired':
    case 'failed':
    case 'refunded':
      return (
        <p className="pay-outcome pay-outcome-ended" role="alert" data-testid="order-ended">
          {t(`payments.order.${order.status}`)}
        </p>
      );
    default:
      return null;
  }
}

/** Once an order leaves `pending`, the balance, the ledger and the order lists are read afresh. */
function useRefreshWhenSettled(status: OrderStatus) {
  const queryClient = useQueryClient();
  const last = useRef(status);
  useEffect(() => {
    if (status === last.current) return;
    last.current = status;
    if (status !== 'pending') void refreshAfterPayment(queryClient);
  }, [status, queryClient]);
}

/** The order just made, followed live until it is paid, expires or fails. */
export function OrderDialog({ initial, onClose }: { initial: OrderSummary; onClose: () => void }) {
  const t = useT();
  const status = useOrderStatus(initial.id);
  const order: OrderSummary = status.data ?? initial;
  useRefreshWhenSettled(order.status);
  return (
    <Modal title={t('payments.order.title')} onClose={onClose} testId="order-dialog">
      <OrderStatusView
        order={order}
        readError={status.isError ? errorMessage(status.error) : null}
        onRetryRead={() => void status.refetch()}
        onRestart={onClose}
        onClose={onClose}
      />
    </Modal>
  );
}
