import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { loadOf, type Load } from '../../api/load';
import { enableSandbox, useGateways, usePlans } from '../../api/payments';
import { keys } from '../../api/queries';
import type { Gateway, GatewayInfo, PaymentPlan } from '../../api/types';
import { useT } from '../../i18n';
import { availableGateways, plansOfKind, type OrderSummary } from '../../lib/payments';
import { errorMessage } from '../../transport';
import { AlertIcon } from '../Icons';
import { useToasts } from '../Toasts';
import { GatewayPicker, SandboxBanner } from './GatewayPicker';
import { MembershipForm, membershipOffers } from './MembershipForm';
import { NoGatewayNotice } from './NoGatewayNotice';
import { RechargeForm } from './RechargeForm';
import './payments.css';

export interface BuyPanelViewProps {
  gateways: Load<GatewayInfo[]>;
  plans: Load<PaymentPlan[]>;
  isAdmin: boolean;
  /** The gateway picked (null: the first available one). */
  gateway: Gateway | null;
  onGateway: (g: Gateway) => void;
  enabling: boolean;
  enableError: string | null;
  onEnableSandbox: () => void;
  onRetry: () => void;
  onOrder: (order: OrderSummary) => void;
}

/** Buying credits and memberships: the way to pay, then a pack or an amount, or a membership. */
export function BuyPanelView(p: BuyPanelViewProps) {
  const t = useT();
  const available = p.gateways.kind === 'ready' ? availableGateways(p.gateways.data) : [];
  const chosen = available.find((g) => g.gateway === p.gateway) ?? available[0];
  const failed = p.gateways.kind === 'error' ? p.gateways : p.plans.kind === 'error' ? p.plans : null;
  return (
    <section className="panel credit-section pay-panel" aria-labelledby="buy-title" data-testid="buy-panel">
      <h2 id="buy-title">{t('payments.title')}</h2>
      <p className="muted pay-form-note">{t('payments.subtitle')}</p>
      {failed && (
        <div className="load-error" role="alert" data-testid="buy-error">
          <AlertIcon size={22} />
          <div>
            <h2>{t('payments.loadFailed')}</h2>
            <p>{failed.message}</p>
          </div>
          <button type="button" className="button secondary" onClick={p.onRetry}>
            {t('common.tryAgain')}
          </button>
        </div>
      )}
      {!failed && (p.gateways.kind === 'loading' || p.plans.kind === 'loading') && (
        <span className="spinner" role="status" aria-label={t('common.loading')} />
      )}
      {p.gateways.kind === 'ready' && p.plans.kind === 'ready' && !chosen && (
        <NoGatewayNotice isAdmin={p.isAdmin} enabling={p.enabling} error={p.enableError} onEnableSandbox={p.onEnableSandbox} />
      )}
      {p.gateways.kind === 'ready' && p.plans.kind === 'ready' && chosen && (
        <>
          <GatewayPicker gateways={available} value={chosen.gateway} onChange={p.onGateway} />
          {chosen.sandbox && <SandboxBanner />}
          <div className="pay-forms">
            <RechargeForm packs={plansOfKind(p.plans.data, 'recharge')} gateway={chosen.gateway} onOrder={p.onOrder} />
            <MembershipForm offers={membershipOffers(plansOfKind(p.plans.data, 'membership'))} gateway={chosen.gateway} onOrder={p.onOrder} />
          </div>
        </>
      )}
    </section>
  );
}

/** The buy panel of the Credits page (accounts mode), reading the gateways and plans. */
export function BuyPanel({ isAdmin, onOrder }: { isAdmin: boolean; onOrder: (order: OrderSummary) => void }) {
  const t = useT();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const gateways = loadOf(useGateways());
  const plans = loadOf(usePlans());
  const [gateway, setGateway] = useState<Gateway | null>(null);
  const [enabling, setEnabling] = useState(false);
  const [enableError, setEnableError] = useState<string | null>(null);

  async function turnOnSandbox() {
    setEnabling(true);
    setEnableError(null);
    try {
      await enableSandbox();
      await queryClient.invalidateQueries({ queryKey: keys.payments.gateways });
      toasts.show({ kind: 'success', message: t('payments.sandboxEnabled') });
    } catch (e) {
      setEnableError(errorMessage(e));
    } finally {
      setEnabling(false);
    }
  }

  return (
    <BuyPanelView
      gateways={gateways}
      plans={plans}
      isAdmin={isAdmin}
      gateway={gateway}
      onGateway={setGateway}
      enabling={enabling}
      enableError={enableError}
      onEnableSandbox={() => void turnOnSandbox()}
      onRetry={() => {
        void queryClient.invalidateQueries({ queryKey: keys.payments.gateways });
        void queryClient.invalidateQueries({ queryKey: keys.payments.plans });
      }}
      onOrder={onOrder}
    />
  );
}
