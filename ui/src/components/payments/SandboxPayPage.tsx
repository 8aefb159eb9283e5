import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { loadOf, type Load } from '../../api/load';
import { refreshAfterPayment, settleSandboxOrder, useOrderStatus } from '../../api/payments';
import { keys } from '../../api/queries';
import type { Order, SandboxAnswer } from '../../api/types';
import { useLocale, useT } from '../../i18n';
import { formatDateTime } from '../../lib/format';
import { formatMoney } from '../../lib/payments';
import { routeHash } from '../../lib/route';
import { errorMessage } from '../../transport';
import { useAuth } from '../account/AuthContext';
import { AlertIcon } from '../Icons';
import { SandboxBanner } from './GatewayPicker';
import { OrderItem } from './OrderItem';
import { OrderStatusBadge } from './OrderStatusBadge';
import './payments.css';

type Outcome = 'success' | 'failed';

export interface SandboxOrderViewProps {
  order: Load<Order>;
  /** Instance admins complete sandbox payments; others are told so. */
  isAdmin: boolean;
  busy: Outcome | null;
  answer: SandboxAnswer | null;
  error: string | null;
  onSettle: (outcome: Outcome) => void;
}

/** The sandbox gateway's page for one order: what it is, and (for an admin) Complete or Fail. */
export function SandboxOrderView({ order, isAdmin, busy, answer, error, onSettle }: SandboxOrderViewProps) {
  const t = useT();
  const locale = useLocale();
  return (
    <div className="page pay-sandbox-page" data-testid="sandbox-pay-page">
      <header className="page-header">
        <div>
          <h1>{t('payments.sandbox.title')}</h1>
          <p className="page-subtitle">{t('payments.sandbox.subtitle')}</p>
        </div>
        <div className="header-actions">
          <a className="button secondary" href={routeHash({ name: 'credits' })} data-testid="back-to-credits">
            {t('payments.sandbox.back')}
          </a>
        </div>
      </header>
      <SandboxBanner testId="sandbox-page-banner" />
      {order.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}
      {order.kind === 'error' && (
        <section className="panel">
          <div className="load-error" role="alert" data-testid="sandbox-order-error">
            <AlertIcon size={22} />
            <div>
              <h2>{t('payments.sandbox.loadFailed')}</h2>
              <p>{order.message}</p>
            </div>
          </div>
        </section>
      )}
      {order.kind === 'ready' && (
        <section className="panel credit-section" aria-labelledby="sandbox-order-title" data-testid="sandbox-order" data-status={order.data.status}>
          <h2 id="sandbox-order-title">{t('payments.sandbox.order')}</h2>
          <dl className="pay-order-details">
            <dt>{t('payments.sandbox.item')}</dt>
            <dd data-testid="sandbox-order-item">
              <OrderItem order={order.data} />
            </dd>
            <dt>{t('payments.sandbox.amount')}</dt>
            <dd data-testid="sandbox-order-amount">{formatMoney(order.data.amount_cents, order.data.currency, locale)}</dd>
            <dt>{t('payments.sandbox.status')}</dt>
            <dd>
              <OrderStatusBadge status={order.data.status} />
            </dd>
            <dt>{t('payments.sandbox.created')}</dt>
            <dd>{formatDateTime(order.data.created_at, locale)}</dd>
            <dt>{t('payments.sandbox.number')}</dt>
            <dd>
              <code>{order.data.out_trade_no}</code>
            </dd>
          </dl>
          <SandboxActions order={order.data} isAdmin={isAdmin} busy={busy} onSettle={onSettle} />
          {answer && (
            <p
              className={`pay-outcome ${answer.order.status === 'paid' ? 'pay-outcome-paid' : 'pay-outcome-ended'}`}
              role="status"
              data-testid="sandbox-result"
              data-result={answer.result}
            >
              {t(`payments.sandbox.result.${answer.result}`)}
            </p>
          )}
          {error && (
            <p className="form-error" role="alert" data-testid="sandbox-error">
              {error}
            </p>
          )}
        </section>
      )}
    </div>
  );
}

/** Complete / Fail for an admin while the order waits; otherwise why there is nothing to press. */
function SandboxActions({ order, isAdmin, busy, onSettle }: { order: Order; isAdmin: boolean; busy: Outcome | null; onSettle: (o: Outcome) => void }) {
  const t = useT();
  if (order.gateway !== 'sandbox') {
    return <p className="muted">{t('payments.sandbox.notSandbox', { gateway: t(`payments.gatewayName.${order.gateway}`) })}</p>;
  }
  if (order.status !== 'pending') return null;
  if (!isAdmin) {
    return (
      <p className="muted" data-testid="sandbox-admin-note">
        {t('payments.sandbox.adminOnly')}
      </p>
    );
  }
  return (
    <div className="toolbar pay-sandbox-actions">
      <button type="button" className="button primary" disabled={busy !== null} onClick={() => onSettle('success')} data-testid="sandbox-complete">
        {busy === 'success' ? t('payments.sandbox.completing') : t('payments.sandbox.complete')}
      </button>
      <button type="button" className="button danger" disabled={busy !== null} onClick={() => onSettle('failed')} data-testid="sandbox-fail">
        {busy === 'failed' ? t('payments.sandbox.failing') : t('payments.sandbox.fail')}
      </button>
    </div>
  );
}

/** `#/pay/sandbox/<order id>`: an order's `payment_url` when it is paid through the sandbox. */
export function SandboxPayPage({ orderId }: { orderId: string }) {
  const auth = useAuth();
  const queryClient = useQueryClient();
  const order = loadOf(useOrderStatus(orderId));
  const [busy, setBusy] = useState<Outcome | null>(null);
  const [answer, setAnswer] = useState<SandboxAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function settle(outcome: Outcome) {
    setBusy(outcome);
    setError(null);
    try {
      const a = await settleSandboxOrder(orderId, outcome);
      setAnswer(a);
      queryClient.setQueryData(keys.payments.order(orderId), a.order);
      void refreshAfterPayment(queryClient);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  }

  return (
    <SandboxOrderView
      order={order}
      // Local mode (no accounts): the one local user administers the instance.
      isAdmin={auth ? auth.user.is_admin : true}
      busy={busy}
      answer={answer}
      error={error}
      onSettle={(o) => void settle(o)}
    />
  );
}
