import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { watchRemoteOrder } from '../../api/remotePayments';
import { useT } from '../../i18n';
import { openExternal } from '../../lib/openExternal';
import type { OrderSummary } from '../../lib/payments';
import { remotePayStep } from '../../lib/remotePay';
import { errorMessage } from '../../transport';
import { Modal } from '../Modal';
import { OrderStatusView } from './OrderDialog';
import { QrCode } from './QrCode';

export interface RemoteOrderViewProps {
  order: OrderSummary;
  readError: string | null;
  onRetryRead: () => void;
  onOpenAgain: (url: string) => void;
  onClose: () => void;
}

/** An order on the team server: paid in the system browser, followed here until it settles. */
export function RemoteOrderView({ order, readError, onRetryRead, onOpenAgain, onClose }: RemoteOrderViewProps) {
  const t = useT();
  return (
    <div data-testid="remote-order-dialog" data-status={order.status}>
      <OrderStatusView
        order={order}
        readError={readError}
        onRetryRead={onRetryRead}
        onRestart={onClose}
        onClose={onClose}
        instructions={<RemoteInstructions order={order} onOpenAgain={onOpenAgain} />}
        paidNote={
          <p className="muted" data-testid="remote-order-balance-updated">
            {t('remotePay.balanceUpdated')}
          </p>
        }
      />
    </div>
  );
}

function RemoteInstructions({ order, onOpenAgain }: { order: OrderSummary; onOpenAgain: (url: string) => void }) {
  const t = useT();
  const step = remotePayStep(order);
  return (
    <div className="pay-instructions" data-testid="pay-instructions" data-step={step.kind}>
      {step.kind === 'qr' && (
        <>
          <QrCode text={step.code} label={t('payments.order.qrLabel')} />
          <p>{t('payments.order.scan')}</p>
        </>
      )}
      {step.kind === 'none' && <p role="alert">{t('payments.order.noLink')}</p>}
      <p className="pay-waiting muted" role="status" data-testid="order-waiting">
        <span className="spinner spinner-sm" aria-hidden="true" />{' '}
        {step.kind === 'qr' ? t('remotePay.waitingScan') : t('remotePay.waitingBrowser')}
      </p>
      {step.kind === 'open' && (
        <button type="button" className="button secondary" onClick={() => onOpenAgain(step.url)} data-testid="remote-order-open-again">
          {t('remotePay.openAgain')}
        </button>
      )}
    </div>
  );
}

/** The order just made on the team server, polled every 2 s until it is paid, expires or fails. */
export function RemoteOrderDialog({ initial, onClose }: { initial: OrderSummary; onClose: () => void }) {
  const t = useT();
  const queryClient = useQueryClient();
  const [order, setOrder] = useState<OrderSummary>(initial);
  const [readError, setReadError] = useState<string | null>(null);
  // Try again after a failed first read starts the watch afresh.
  const [attempt, setAttempt] = useState(0);

  useEffect(
    () =>
      watchRemoteOrder(queryClient, initial.id, ({ order: read, error }) => {
        if (read) setOrder(read);
        setReadError(error ? errorMessage(error) : null);
      }),
    [queryClient, initial.id, attempt],
  );

  return (
    <Modal title={t('remotePay.orderTitle')} onClose={onClose} testId="remote-order-modal">
      <RemoteOrderView
        order={order}
        readError={readError}
        onRetryRead={() => {
          setReadError(null);
          setAttempt((n) => n + 1);
        }}
        onOpenAgain={(url) => void openExternal(url)}
        onClose={onClose}
      />
    </Modal>
  );
}
